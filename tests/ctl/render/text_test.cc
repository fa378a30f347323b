#include "ctl/render/text.h"

#include "gtest/gtest.h"

namespace guts::ctl {
namespace {

TEST(TextTest, AgesReadAtAGlance) {
  EXPECT_EQ(FormatAge(absl::Milliseconds(850)), "850ms");
  EXPECT_EQ(FormatAge(absl::Milliseconds(1400)), "1.4s");
  EXPECT_EQ(FormatAge(absl::Seconds(95)), "1m35s");
  EXPECT_EQ(FormatAge(absl::Minutes(184)), "3h04m");
  EXPECT_EQ(FormatAge(absl::Hours(51)), "2d03h");
  EXPECT_EQ(FormatAge(absl::Seconds(-1)), "-");
}

TEST(TextTest, BytesInBinaryUnits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(4096), "4.0 KiB");
  EXPECT_EQ(FormatBytes(412ull * 1024 * 1024), "412 MiB");
}

TEST(TextTest, SparklineSpansLowestToHighestBlock) {
  EXPECT_EQ(Sparkline({1, 2, 3, 4, 5, 6, 7, 8}, 8), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({5, 5, 5}, 10), "▁▁▁");
  EXPECT_EQ(Sparkline({}, 10), "");
  // Twice as many values as characters: each character is the last value of its bucket.
  EXPECT_EQ(Sparkline({0, 1, 0, 1, 0, 8, 0, 8}, 4), "▁▁██");
}

TEST(TextTest, WidthIgnoresColourAndCountsCodePoints) {
  Style color{.color = true};
  EXPECT_EQ(DisplayWidth(Paint("healthy", Tone::kGood, color)), 7u);
  EXPECT_EQ(DisplayWidth("▁▂▃"), 3u);
  EXPECT_EQ(Paint("down", Tone::kBad, Style{}), "down");
}

TEST(TextTest, TableAlignsPaintedCells) {
  TextTable table({"NODE", "STATE"});
  table.AddRow({"v10", Paint("down", Tone::kBad, Style{.color = true})});
  table.AddRow({"v2", "healthy"});
  EXPECT_EQ(table.Render(Style{}),
            "NODE  STATE\n"
            "v10   \x1b[31mdown\x1b[0m\n"
            "v2    healthy\n");
}

}  // namespace
}  // namespace guts::ctl
