// Sha256 and Sha256OfFile against the FIPS 180-2 test vectors (bundle_format/sha256.h).
#include "bundle_format/sha256.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace guts::bundle {
namespace {

constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Sha256, KnownVectorsInLowercaseHex) {
  Sha256 empty;
  EXPECT_EQ(empty.FinishHex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("abc");
  EXPECT_EQ(abc.FinishHex(), kAbc);
}

TEST(Sha256, UpdatesInPiecesEqualOneUpdate) {
  Sha256 pieces;
  pieces.Update("a");
  pieces.Update("");
  pieces.Update("bc");
  EXPECT_EQ(pieces.FinishHex(), kAbc);
}

TEST(Sha256, OfFileReadsTheWholeFileAndNamesAMissingOne) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sha256-" + std::to_string(::getpid()) + ".txt"))
          .string();
  std::ofstream(path) << "abc";
  absl::StatusOr<std::string> hex = Sha256OfFile(path);
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, kAbc);
  std::filesystem::remove(path);
  EXPECT_EQ(Sha256OfFile(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace guts::bundle
