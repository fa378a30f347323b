#include "sim/wire_message.h"

#include <gtest/gtest.h>

namespace guts::sim {
namespace {

TEST(WireMessageTest, FrameRoundTripsEveryField) {
  WireMessage m;
  m.type = MessageType::kCertificate;
  m.from = 6;
  m.view = 1234567890123;
  m.height = 42;
  m.block = NextBlock(GenesisBlock(), 3, 2, absl::FromUnixMillis(1700000000123), "");
  m.block.signature_count = 5;
  m.to = 17;
  std::string frame = EncodeFrame(m);
  absl::StatusOr<WireMessage> back = DecodeBody(frame.substr(kFrameHeaderBytes));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->type, m.type);
  EXPECT_EQ(back->from, 6u);
  EXPECT_EQ(back->view, m.view);
  EXPECT_EQ(back->height, 42u);
  EXPECT_EQ(back->block.id, m.block.id);
  EXPECT_EQ(back->block.parent, m.block.parent);
  EXPECT_EQ(back->block.timestamp_ms, 1700000000123);
  EXPECT_EQ(back->block.signature_count, 5u);
  EXPECT_EQ(back->to, 17u);
  EXPECT_EQ(DecodeBody(EncodeFrame(WireMessage{}).substr(kFrameHeaderBytes))->to, kToReceiver);
}

TEST(WireMessageTest, TruncatedOrUnknownBodiesAreRejected) {
  std::string body = EncodeFrame(WireMessage{}).substr(kFrameHeaderBytes);
  EXPECT_FALSE(DecodeBody(body.substr(0, body.size() - 1)).ok());
  body[0] = 99;
  EXPECT_FALSE(DecodeBody(body).ok());
}

TEST(BlockTest, IdsChainToTheParentAndDifferPerSalt) {
  BlockHeader a = NextBlock(GenesisBlock(), 1, 0, absl::Now(), "");
  BlockHeader b = NextBlock(a, 2, 1, absl::Now(), "");
  EXPECT_EQ(b.parent, a.id);
  EXPECT_EQ(b.height, 2u);
  EXPECT_NE(NextBlock(a, 2, 1, absl::Now(), "fork").id, b.id);
  EXPECT_EQ(HexId(a.id).size(), 64u);
}

}  // namespace
}  // namespace guts::sim
