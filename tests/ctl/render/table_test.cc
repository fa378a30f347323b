#include "ctl/render/table.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/ctl/fleet_fixtures.h"
#include "tests/ctl/golden.h"

namespace guts::ctl {
namespace {

using testing::ExpectGolden;
using testing::FourThreeSplitOfSeven;
using testing::kNowUnixMs;
using testing::MixedFleetWithoutP1;

const Style kPlain{.color = false};
const Style kColor{.color = true};
const absl::Time kNow = absl::FromUnixMillis(kNowUnixMs);

TEST(TableTest, FourThreeSplitShowsTheP1AboveTheNodes) {
  std::string text = RenderFleetStatusTable(FourThreeSplitOfSeven().status, kPlain);
  ExpectGolden("fleet_status_4_3.txt", text);
  size_t incident = text.find("PARTITION_NO_QUORUM");
  size_t table = text.find("NODE ");
  ASSERT_NE(incident, std::string::npos);
  ASSERT_NE(table, std::string::npos);
  EXPECT_LT(incident, table);
  EXPECT_FALSE(absl::StrContains(text, "\x1b[")) << "no colour without a terminal";
}

TEST(TableTest, FourThreeSplitInColour) {
  std::string text = RenderFleetStatusTable(FourThreeSplitOfSeven().status, kColor);
  ExpectGolden("fleet_status_4_3_color.txt", text);
  EXPECT_TRUE(absl::StrContains(text, "\x1b[1;31mP1\x1b[0m"));
}

TEST(TableTest, MostTroubledNodeComesFirstAndSeverityOrdersIncidents) {
  std::string text = RenderFleetStatusTable(MixedFleetWithoutP1().status, kPlain);
  ExpectGolden("fleet_status_mixed.txt", text);
  ExpectGolden("fleet_status_mixed_color.txt",
               RenderFleetStatusTable(MixedFleetWithoutP1().status, kColor));
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  auto row_of = [&](absl::string_view prefix) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], prefix)) return i;
    }
    return lines.size();
  };
  // down, unreachable, degraded (lag 57 before lag 0), then healthy.
  EXPECT_LT(row_of("v4 "), row_of("v2 "));
  EXPECT_LT(row_of("v2 "), row_of("v5 "));
  EXPECT_LT(row_of("v5 "), row_of("v3 "));
  EXPECT_LT(row_of("v3 "), row_of("o1 "));
  EXPECT_LT(row_of("o1 "), row_of("v1 "));
  EXPECT_LT(text.find("inc-0049"), text.find("inc-0051")) << "P2 before P3";
  EXPECT_TRUE(absl::StrContains(text, "collector degraded"));
}

TEST(TableTest, PartitionsNameBothSidesAndTheHalt) {
  std::string text = RenderPartitionsTable(FourThreeSplitOfSeven().topology, kPlain);
  ExpectGolden("net_partitions_4_3.txt", text);
  EXPECT_TRUE(absl::StrContains(text, "NO side holds the quorum"));
  EXPECT_TRUE(absl::StrContains(text, "v1 v2 v3 v4"));
  EXPECT_TRUE(absl::StrContains(text, "v5 v6 v7"));
  EXPECT_TRUE(absl::StrContains(text, "CUT EDGES (12)"));
}

TEST(TableTest, PartitionsShowBridgeOneWayLinkAndSilentNode) {
  std::string text = RenderPartitionsTable(MixedFleetWithoutP1().topology, kPlain);
  ExpectGolden("net_partitions_mixed.txt", text);
  EXPECT_TRUE(absl::StrContains(text, "v2 -> v5  lost: v5 does not hear v2"));
  EXPECT_TRUE(absl::StrContains(text, "connected: one component"));
}

TEST(TableTest, PartialPartitionShowsTheGroupsTheBridgeAndEveryCutLink) {
  // {v1,v2,v3} and {v5,v6,v7} reach each other only through v4: one component, nine cut links.
  v1::Topology topo;
  v1::NodeGroup* all = topo.add_components();
  for (const char* n : {"v1", "v2", "v3", "v4", "v5", "v6", "v7"}) all->add_nodes(n);
  all->set_weight(700);
  all->set_has_quorum(true);
  topo.add_bridges("v4");
  v1::NodeGroup* a = topo.add_bridged_groups();
  v1::NodeGroup* b = topo.add_bridged_groups();
  for (const char* n : {"v1", "v2", "v3"}) a->add_nodes(n);
  for (const char* n : {"v5", "v6", "v7"}) b->add_nodes(n);
  a->set_weight(300);
  b->set_weight(300);
  for (const std::string& from : a->nodes()) {
    for (const std::string& to : b->nodes()) {
      v1::Link* link = topo.add_cut_edges();
      link->set_from(from);
      link->set_to(to);
    }
  }
  topo.set_total_weight(700);
  topo.set_quorum_weight(467);
  std::string text = RenderPartitionsTable(topo, kPlain);
  EXPECT_TRUE(absl::StrContains(text, "PARTIAL PARTITION: 2 groups linked only through v4"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "GROUPS LINKED ONLY THROUGH A BRIDGE")) << text;
  EXPECT_TRUE(absl::StrContains(text, "CUT EDGES (9)")) << text;
  EXPECT_TRUE(absl::StrContains(text, "v1 -x- v5 v6 v7")) << text;
  EXPECT_FALSE(absl::StrContains(text, "===")) << "cut links are not working only-paths";
}

TEST(TableTest, MatrixMarksLinksNotHeard) {
  ExpectGolden("net_matrix_4_3.txt", RenderMatrixTable(FourThreeSplitOfSeven().topology, kPlain));
  ExpectGolden("net_matrix_4_3_color.txt",
               RenderMatrixTable(FourThreeSplitOfSeven().topology, kColor));
  ExpectGolden("net_matrix_mixed.txt", RenderMatrixTable(MixedFleetWithoutP1().topology, kPlain));
}

TEST(TableTest, NodeDetailOfTheMinoritySide) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  std::string text = RenderNodeDetailTable(fixture.details.at("v5"), kNow, kPlain);
  ExpectGolden("node_show_v5.txt", text);
  EXPECT_TRUE(absl::StrContains(text, "timeout after 500 ms"));
}

TEST(TableTest, NodeDetailNamesPeersProbesAndLeaderByTheirAgents) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  v1::NodeDetail detail = fixture.details.at("v5");
  auto& names = *detail.mutable_peer_names();
  names["127.0.0.16:9000"] = "frankfurt-6";
  names["127.0.0.12:9000"] = "berlin-2";
  names["a3f9c2"] = "berlin-2";
  std::string text = RenderNodeDetailTable(detail, kNow, kPlain);
  // The session row: the agent's name, then the address it was seen on.
  EXPECT_TRUE(absl::StrContains(text, "\nfrankfurt-6  127.0.0.16:9000  out")) << text;
  // The probe row: the agent's name instead of the node list's (simulator's) v2.
  EXPECT_TRUE(absl::StrContains(text, "\nberlin-2     127.0.0.12:9000  no")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\nv2 ")) << text;
  EXPECT_TRUE(absl::StrContains(text, "leader      berlin-2\n")) << text;
  // Unnamed: a "-" beside the address; the probe keeps the list's name.
  EXPECT_TRUE(absl::StrContains(text, "\n-            127.0.0.11:9000  out")) << text;
  EXPECT_TRUE(absl::StrContains(text, "\nv1           127.0.0.11:9000  no")) << text;
}

TEST(TableTest, NodeHistoryShowsTheStallAsSparklines) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  std::string text = RenderNodeHistoryTable("v5", fixture.history.at("v5"), 30, kPlain);
  ExpectGolden("node_history_v5.txt", text);
  EXPECT_TRUE(absl::StrContains(text, "█"));
  EXPECT_EQ(RenderNodeHistoryTable("v5", {}, 30, kPlain), "no history for v5 in this range\n");
}

TEST(TableTest, IncidentsListOpenBeforeResolved) {
  std::string text = RenderIncidentListTable(FourThreeSplitOfSeven().incidents, kNow, kPlain);
  ExpectGolden("incidents_4_3.txt", text);
  EXPECT_LT(text.find("inc-0042"), text.find("inc-0039"));
}

TEST(TableTest, IncidentShowsEvidenceTimelineAndRunbook) {
  std::string text =
      RenderIncidentTable(FourThreeSplitOfSeven().incidents.incidents(0), kNow, kPlain);
  ExpectGolden("incident_show_4_3.txt", text);
  EXPECT_TRUE(absl::StrContains(text, "RUNBOOK network-partition"));
  EXPECT_TRUE(absl::StrContains(text, "  1. Confirm the cut"));
  ExpectGolden("incident_show_4_3_color.txt",
               RenderIncidentTable(FourThreeSplitOfSeven().incidents.incidents(0), kNow, kColor));
}

TEST(TableTest, BundlesListedAndPendingIsNotAnError) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  ExpectGolden("diag_list_4_3.txt", RenderBundleListTable(fixture.bundles, kPlain));
  std::string outcomes =
      RenderBundleOutcome(fixture.collect_outcomes.at("v1"), "v1-20261130T025940Z.tar.gz", kPlain) +
      RenderBundleOutcome(fixture.collect_outcomes.at("v6"), "", kPlain);
  ExpectGolden("diag_outcomes_4_3.txt", outcomes);
  EXPECT_TRUE(absl::StrContains(outcomes, "pending"));
  EXPECT_TRUE(absl::StrContains(outcomes, "6 ok, 1 failed, 0 timed out"));
  EXPECT_TRUE(absl::StrContains(outcomes, "redacted  14 values"));
}

}  // namespace
}  // namespace guts::ctl
