#include "ctl/render/dot.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/ctl/fleet_fixtures.h"
#include "tests/ctl/golden.h"

namespace guts::ctl {
namespace {

using testing::ExpectGolden;

size_t CountLines(const std::string& text, absl::string_view needle) {
  size_t count = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    count += absl::StrContains(line, needle);
  }
  return count;
}

TEST(DotTest, FourThreeSplitDrawsTwoRedClustersAndTwelveDashedCuts) {
  std::string dot = RenderDot(testing::FourThreeSplitOfSeven().topology);
  ExpectGolden("net_graph_4_3.dot", dot);
  EXPECT_EQ(CountLines(dot, "subgraph cluster_"), 2u);
  EXPECT_EQ(CountLines(dot, "no quorum"), 2u);
  EXPECT_EQ(CountLines(dot, "style=dashed, color=\"#c62828\""), 12u);
  // Inside each side every pair hears the other: 6 + 3 plain links.
  EXPECT_EQ(CountLines(dot, "[dir=none, color=\"#616161\"]"), 9u);
}

TEST(DotTest, BridgeOneWayLinkAndSilentNodeAreMarked) {
  std::string dot = RenderDot(testing::MixedFleetWithoutP1().topology);
  ExpectGolden("net_graph_mixed.dot", dot);
  EXPECT_TRUE(absl::StrContains(dot, "\"v3\" [fillcolor=\"#ffe0b2\""));
  EXPECT_TRUE(absl::StrContains(dot, "\"v2\" -> \"v5\" [color=\"#c62828\""));
  EXPECT_TRUE(absl::StrContains(dot, "\"v3\" -> \"v5\" [dir=none, penwidth=2.5"));
  EXPECT_TRUE(absl::StrContains(dot, "(silent)"));
}

TEST(DotTest, NamesAreQuotedSoOddNamesCannotBreakTheGraph) {
  guts::diag::v1::Topology topology;
  guts::diag::v1::NodeGroup* group = topology.add_components();
  group->add_nodes("node \"a\"");
  std::string dot = RenderDot(topology);
  EXPECT_TRUE(absl::StrContains(dot, "\"node \\\"a\\\"\""));
}

}  // namespace
}  // namespace guts::ctl
