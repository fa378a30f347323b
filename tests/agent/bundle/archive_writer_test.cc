#include "agent/bundle/archive_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/agent/bundle/test_archive.h"
#include "tests/support/files.h"

namespace guts::bundle {
namespace {

using ::guts::testing::ScratchFilePath;

TEST(ArchiveWriter, RefusesDotDotAndAbsoluteEntriesOnWrite) {
  const std::string path = ScratchFilePath("writer-refuses", ".tar.gz");
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

}  // namespace
}  // namespace guts::bundle
