#include "agent/bundle/archive_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "agent/bundle/archive_check.h"
#include "agent/bundle/entry_name.h"
#include "tests/bundle/agent/test_archive.h"

namespace guts::bundle {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".tar.gz"))
      .string();
}

TEST(EntryName, RelativeNamesAreAccepted) {
  EXPECT_TRUE(ValidateEntryName("manifest.json").ok());
  EXPECT_TRUE(ValidateEntryName("node/api/health.json").ok());
}

TEST(EntryName, DotDotAbsoluteAndEmptyComponentsAreRefused) {
  for (const char* bad :
       {"../etc/passwd", "a/../../b", "/etc/passwd", "", "a//b", "./a", "a/..", "a\\b"}) {
    const absl::Status s = ValidateEntryName(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ArchiveWriter, RefusesDotDotAndAbsoluteEntriesOnWrite) {
  const std::string path = TempPath("writer-refuses");
  ArchiveWriter w;
  ASSERT_TRUE(w.Open(path, absl::Now()).ok());
  EXPECT_EQ(w.AddText("../escape.txt", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddText("/etc/cron.d/evil", "x").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.AddText("ok.txt", "fine").ok());
  ASSERT_TRUE(w.Close().ok());
  const auto entries = testing::ReadArchive(path);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries.at("ok.txt"), "fine");
  std::filesystem::remove(path);
}

TEST(ArchiveCheck, ArchiveWithDotDotEntryIsRefused) {
  // Written with libarchive directly, as a buggy or hostile agent could.
  const std::string path = TempPath("check-refuses");
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "../../evil.sh");
  archive_entry_set_size(e, 4);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0755);
  archive_write_header(a, e);
  archive_write_data(a, "boom", 4);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  const auto names = CheckArchiveEntries(path);
  EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(names.status().message().find("evil.sh"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(ArchiveCheck, NotAnArchiveIsAClearError) {
  const std::string path = TempPath("not-archive");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not gzip", f);
  std::fclose(f);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace guts::bundle
