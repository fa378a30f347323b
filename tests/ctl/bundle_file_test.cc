#include "ctl/bundle_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/ctl/test_fleet_service.h"
#include "tests/support/files.h"

namespace guts::ctl {
namespace {

using ::guts::testing::ReadFileOrEmpty;

using testing::FourThreeSplitOfSeven;
using testing::TestFleetService;

class BundleFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The pid keeps parallel runs of this test (other build dirs) apart.
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("ctl-bundle-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<FleetClient> Client(const std::string& address) {
    return *FleetClient::Connect({.collector = address, .tls = {.insecure = true}});
  }
  std::filesystem::path dir_;
};

TEST_F(BundleFileTest, DownloadedBundleMatchesTheArchiveAndItsChecksum) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  std::string archive = fixture.archives.at("b-0007");
  TestFleetService collector(fixture);
  absl::StatusOr<DownloadedBundle> got =
      DownloadBundleFile(*Client(collector.address()), "b-0007", dir_.string(), absl::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->path, (dir_ / "v1-20261130T025940Z.tar.gz").string());
  EXPECT_EQ(ReadFileOrEmpty(got->path), archive);
  EXPECT_FALSE(std::filesystem::exists(got->path + ".part"));
}

TEST_F(BundleFileTest, ChecksumMismatchLeavesNoFileBehind) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  fixture.bundles.mutable_bundles(0)->set_sha256(std::string(64, '0'));
  TestFleetService collector(fixture);
  std::string path = (dir_ / "v1.tar.gz").string();
  absl::StatusOr<DownloadedBundle> got =
      DownloadBundleFile(*Client(collector.address()), "b-0007", path, absl::Seconds(5));
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(got.status().message(), "sha256 mismatch"));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

TEST_F(BundleFileTest, ArchiveWithAnEscapingEntryIsNotKept) {
  // The checksum matches: only the entry check can refuse it.
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  std::string hostile = testing::TarGz({{"node/node.log", "ok\n"}, {"../../.bashrc", "boom\n"}});
  fixture.archives["b-0007"] = hostile;
  fixture.bundles.mutable_bundles(0)->set_size_bytes(hostile.size());
  fixture.bundles.mutable_bundles(0)->set_sha256(testing::Sha256Hex(hostile));
  TestFleetService collector(fixture);
  std::string path = (dir_ / "v1.tar.gz").string();
  absl::StatusOr<DownloadedBundle> got =
      DownloadBundleFile(*Client(collector.address()), "b-0007", path, absl::Seconds(5));
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  EXPECT_TRUE(absl::StrContains(got.status().message(), "unsafe archive")) << got.status();
  EXPECT_TRUE(absl::StrContains(got.status().message(), "../../.bashrc")) << got.status();
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

TEST_F(BundleFileTest, UnknownBundleSaysWhereToFindTheIds) {
  TestFleetService collector(FourThreeSplitOfSeven());
  absl::StatusOr<DownloadedBundle> got = DownloadBundleFile(
      *Client(collector.address()), "b-nope", (dir_ / "x").string(), absl::Seconds(5));
  ASSERT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "no bundle with id b-nope (gutsctl diag list lists them)");
}

}  // namespace
}  // namespace guts::ctl
