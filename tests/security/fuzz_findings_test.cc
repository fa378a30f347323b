// Regression tests for what fuzz/ found, one per finding, run in the ordinary (gcc) build.
#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/known_validators.h"
#include "agent/sources/node_api_source.h"
#include "bundle_format/archive_check.h"
#include "common/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"

namespace guts {
namespace {

using ::testing::HasSubstr;

HttpResponse Json(std::string body) { return HttpResponse{200, "application/json", body}; }

// fuzz/node_api_fuzzer.cc: a number out of the field's range (1e300, -7, 1.5e30) was converted
// to an unsigned integer, which is undefined behaviour; it is now refused like a wrong type.
TEST(FuzzFindingsTest, NodeApiNumbersOutOfRangeAreRefusedNotConverted) {
  HttpServer node;
  node.Get("/health", [] { return Json(R"({"status":"up","uptime_seconds":1e300})"); });
  node.Get("/health/live", [] { return Json("{}"); });
  node.Get("/health/ready", [] { return Json("{}"); });
  node.Get("/health/startup", [] { return Json("{}"); });
  node.Get("/api/consensus/status", [] {
    return Json(R"({"enabled":true,"state":"Active","view":1.5e30,"finalized_height":7})");
  });
  node.Get("/api/consensus/validators", [] {
    return Json(R"({"epoch":-1,"total_weight":1,"quorum_weight":1,"validators":[]})");
  });
  node.Get("/api/consensus/mempool", [] { return Json(R"({"transaction_count":-7})"); });
  ASSERT_TRUE(node.Start("127.0.95.1", 0).ok());

  auto validators = std::make_shared<agent::KnownValidators>();
  agent::NodeApiSource source(absl::StrCat("http://127.0.95.1:", node.port()), validators);
  diag::v1::Snapshot part;
  absl::Status s = source.Collect(absl::Now() + absl::Seconds(5), part);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("'view' missing or not an unsigned integer in range"));
  EXPECT_THAT(s.message(), HasSubstr("'epoch' missing or not an unsigned integer in range"));
  EXPECT_THAT(s.message(),
              HasSubstr("'transaction_count' missing or not an unsigned integer in range"));
  EXPECT_EQ(part.health().status(), "up");
  EXPECT_EQ(part.health().uptime_seconds(), 0u);  // optional field: left out, not garbage
  EXPECT_EQ(part.consensus().view(), 0u);
}

// Writes a .tar.gz holding a regular file "a.txt" and a hard link "b.txt" to `link_target`.
std::string WriteArchiveWithHardLink(const std::string& dir, const std::string& link_target) {
  std::string path = dir + "/bundle.tar.gz";
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
  archive_write_set_format_pax_restricted(writer);
  archive_write_open_filename(writer, path.c_str());
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "a.txt");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, 2);
  archive_write_header(writer, entry);
  archive_write_data(writer, "a\n", 2);
  archive_entry_clear(entry);
  archive_entry_set_pathname(entry, "b.txt");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_hardlink(entry, link_target.c_str());
  archive_write_header(writer, entry);
  archive_entry_free(entry);
  archive_write_close(writer);
  archive_write_free(writer);
  return path;
}

// A hard link entry reads back as a regular file with a link target: extracting it would
// link to any file the operator can read (/etc/shadow), so the collector refuses it.
TEST(FuzzFindingsTest, ArchiveWithHardLinkIsRefused) {
  std::string dir = testing::FreshTempDir("security-hardlink");
  absl::StatusOr<std::vector<std::string>> names =
      bundle::CheckArchiveEntries(WriteArchiveWithHardLink(dir, "/etc/shadow"));
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(names.status().message(), HasSubstr("\"b.txt\" is a link"));
}

}  // namespace
}  // namespace guts
