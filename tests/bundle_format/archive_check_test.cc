// CheckArchiveEntries on archives written with libarchive directly, as a buggy or hostile
// agent could (bundle_format/archive_check.h).
#include "bundle_format/archive_check.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/time/clock.h"
#include "tests/support/files.h"

namespace guts::bundle {
namespace {

using ::guts::testing::ScratchFilePath;

TEST(ArchiveCheck, ArchiveWithDotDotEntryIsRefused) {
  // Written with libarchive directly, as a buggy or hostile agent could.
  const std::string path = ScratchFilePath("check-refuses", ".tar.gz");
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
  const std::string path = ScratchFilePath("not-archive", ".tar.gz");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not gzip", f);
  std::fclose(f);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kNotFound);
}

// One entry written with libarchive directly, as a hostile agent could; `data` repeated
// `copies` times.
std::string OneEntryArchive(const std::string& name, const char* entry_name, unsigned mode,
                            unsigned filetype, const std::string& data = "boom",
                            size_t copies = 1) {
  const std::string path = ScratchFilePath(name, ".tar.gz");
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, entry_name);
  archive_entry_set_size(e,
                         filetype == AE_IFREG ? static_cast<la_int64_t>(data.size() * copies) : 0);
  archive_entry_set_filetype(e, filetype);
  archive_entry_set_perm(e, mode);
  archive_write_header(a, e);
  if (filetype == AE_IFREG) {
    for (size_t i = 0; i < copies; ++i) archive_write_data(a, data.data(), data.size());
  }
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return path;
}

TEST(ArchiveCheck, SetuidSetgidAndStickyEntriesAreRefused) {
  for (unsigned mode : {04755u, 02755u, 01755u}) {
    const std::string path = OneEntryArchive("check-setuid", "bin/tool", mode, AE_IFREG);
    const auto names = CheckArchiveEntries(path);
    EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument) << std::oct << mode;
    EXPECT_NE(names.status().message().find("setuid"), std::string::npos);
    std::filesystem::remove(path);
  }
}

TEST(ArchiveCheck, ControlCharactersInNamesAndDevicesAreRefused) {
  std::string path = OneEntryArchive("check-control", "logs/a\x1b[2Jb.txt", 0644, AE_IFREG);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
  path = OneEntryArchive("check-newline", "logs/a\nb.txt", 0644, AE_IFREG);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
  path = OneEntryArchive("check-device", "dev/sda", 0600, AE_IFBLK);
  EXPECT_EQ(CheckArchiveEntries(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
}

TEST(ArchiveCheck, CompressionBombStopsEarly) {
  // 96 MiB of zeros gzip to about 96 KiB: a ratio of about 1000, refused once 64 MiB are
  // expanded, long before the whole is read.
  const std::string path =
      OneEntryArchive("check-bomb", "big.log", 0644, AE_IFREG, std::string(1 << 20, '\0'), 96);
  absl::Time start = absl::Now();
  const auto names = CheckArchiveEntries(path);
  EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(names.status().message().find("compression bomb"), std::string::npos) << names.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  // Within the ratio but beyond the expanded cap: refused from the header, before reading.
  EXPECT_EQ(CheckArchiveEntries(path, {.max_expanded_bytes = 1 << 20}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A normal archive under the same limits passes.
  std::filesystem::remove(path);
  const std::string fine = OneEntryArchive("check-fine", "ok.txt", 0644, AE_IFREG);
  EXPECT_TRUE(CheckArchiveEntries(fine).ok());
  std::filesystem::remove(fine);
}

}  // namespace
}  // namespace guts::bundle
