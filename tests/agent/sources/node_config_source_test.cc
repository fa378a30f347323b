// The node_config source follows the node's config.yaml as it changes: read again when the
// file changed, and a file that went away is reported, not served from the last read.
// (The parser and the bounded read: tests/agent/node_config_test.cc.)
#include "agent/sources/node_config_source.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;
namespace fs = std::filesystem;

TEST(NodeConfigSourceTest, AChangedFileIsReadAgainAndARemovedOneIsReported) {
  std::string tmpl = (fs::temp_directory_path() / "guts-node-config-source-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  const std::string path = (dir / "config.yaml").string();
  NodeConfigSource source(path, /*explicit_path=*/true);

  std::ofstream(path) << "consensus:\n  enabled: true\n  use_simplex_bft: false\n";
  v1::Snapshot part;
  ASSERT_TRUE(source.Collect(absl::Now(), part).ok());
  EXPECT_TRUE(part.config().loaded());
  EXPECT_FALSE(part.config().use_simplex_bft());

  std::ofstream(path) << "consensus:\n  enabled: true\n  use_simplex_bft: true\n";
  part.Clear();
  ASSERT_TRUE(source.Collect(absl::Now(), part).ok());
  EXPECT_TRUE(part.config().use_simplex_bft());

  fs::remove(path);
  part.Clear();
  EXPECT_EQ(source.Collect(absl::Now(), part).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(part.config().loaded());
  EXPECT_EQ(part.config().error(), "not found");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace guts::agent
