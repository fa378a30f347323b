#include "agent/bundle/source_output.h"

#include <gtest/gtest.h>

#include "bundle_format/sha256.h"

namespace guts::bundle {
namespace {

std::string Contents(SourceOutput& out) {
  std::string s(out.bytes(), '\0');
  EXPECT_EQ(std::fread(s.data(), 1, s.size(), out.file()), s.size());
  return s;
}

TEST(SourceOutput, CapTruncatesAndRefusesFurtherWrites) {
  SourceOutput out(10, true);
  EXPECT_FALSE(out.Write("0123456789abcdef\n"));
  EXPECT_FALSE(out.Write("more\n"));
  out.Finish();
  EXPECT_TRUE(out.truncated());
  EXPECT_EQ(out.bytes(), 10u);
  EXPECT_EQ(Contents(out), "0123456789");
}

TEST(SourceOutput, ChecksumCoversTheRedactedBytes) {
  SourceOutput out(1 << 20, true);
  out.Write("password: x\nplain");
  out.Finish();
  const std::string kept = Contents(out);
  EXPECT_EQ(kept, "password: [REDACTED]\nplain");
  Sha256 h;
  h.Update(kept);
  EXPECT_EQ(out.sha256_hex(), h.FinishHex());
  EXPECT_EQ(out.redactions(), 1u);
  EXPECT_FALSE(out.truncated());
}

TEST(SourceOutput, LineSplitAcrossWritesIsStillRedacted) {
  SourceOutput out(1 << 20, true);
  out.Write("GUTS_PRIVATE_");
  out.Write("KEY=deadbeef\n");
  out.Finish();
  EXPECT_EQ(Contents(out), "GUTS_PRIVATE_KEY=[REDACTED]\n");
}

TEST(SourceOutput, DisabledRedactionKeepsBytes) {
  SourceOutput out(1 << 20, false);
  out.Write("password: x\n");
  out.Finish();
  EXPECT_EQ(Contents(out), "password: x\n");
  EXPECT_EQ(out.redactions(), 0u);
}

}  // namespace
}  // namespace guts::bundle
