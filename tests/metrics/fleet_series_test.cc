// /metrics' fleet series: per incident, per node, fleet, and the per-link bound.
#include "collector/http/fleet_series.h"

#include <cstdio>
#include <string>

#include "collector/http/metrics.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/files.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

v1::FleetStatus SplitFleet() {
  v1::FleetStatus f;
  for (const char* id : {"v1", "v2"}) {
    v1::NodeStatus* n = f.add_nodes();
    n->set_node_id(id);
    n->set_lag(3);
    n->set_view(12);
    n->set_peers_heard(1);
    n->set_peers_expected(6);
    n->set_weight(100);
    n->set_connected(std::string(id) == "v1");
  }
  v1::Incident* i = f.add_open_incidents();
  i->set_id("inc-1-a");
  i->set_kind(v1::PARTITION_NO_QUORUM);
  i->set_severity(v1::P1);
  i->set_cause_key("PARTITION");
  i->set_opened_unix_ms(5000);
  return f;
}

v1::Topology Split(int cells) {
  v1::Topology t;
  t.add_components()->set_weight(400);
  t.add_components()->set_weight(300);
  t.set_quorum_weight(467);
  t.set_total_weight(700);
  for (int c = 0; c < cells; ++c) {
    v1::MatrixCell* m = t.add_matrix();
    m->set_from("v" + std::to_string(c));
    m->set_to("v" + std::to_string(c + 1));
    m->set_heard(c % 2 == 0);
  }
  return t;
}

TEST(FleetSeriesTest, SplitShowsItsIncidentNodesAndNegativeMargin) {
  v1::Topology t = Split(2);
  std::string text = RenderFleetSeries(SplitFleet(), &t, nullptr, {});
  EXPECT_NE(text.find("guts_incident_open{cause=\"PARTITION\",id=\"inc-1-a\","
                      "kind=\"PARTITION_NO_QUORUM\",severity=\"P1\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("guts_node_lag_blocks{node=\"v2\"} 3"), std::string::npos);
  EXPECT_NE(text.find("guts_node_peers_expected{node=\"v1\"} 6"), std::string::npos);
  EXPECT_NE(text.find("guts_node_agent_connected{node=\"v2\"} 0"), std::string::npos);
  EXPECT_NE(text.find("guts_fleet_components 2"), std::string::npos);
  EXPECT_NE(text.find("guts_fleet_quorum_margin -67"), std::string::npos) << text;
  EXPECT_EQ(text.find("guts_link_heard"), std::string::npos) << "links only behind the flag";
}

TEST(FleetSeriesTest, LinkSeriesAreBounded) {
  v1::Topology small = Split(3);
  std::string text =
      RenderFleetSeries(SplitFleet(), &small, nullptr, {.link_series = true, .max_link_series = 3});
  EXPECT_NE(text.find("guts_link_heard{from=\"v0\",to=\"v1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("guts_fleet_link_series_truncated 0"), std::string::npos);
  v1::Topology big = Split(4);
  text =
      RenderFleetSeries(SplitFleet(), &big, nullptr, {.link_series = true, .max_link_series = 3});
  EXPECT_EQ(text.find("guts_link_heard{"), std::string::npos) << text;
  EXPECT_NE(text.find("guts_fleet_link_series_truncated 1"), std::string::npos);
}

TEST(FleetSeriesTest, AlertPushFiguresAreSeries) {
  AlertPusherFigures f{
      .firing = 2, .resolutions_pending = 1, .resolutions_left_to_other_replica = 3};
  f.endpoints.push_back({.url = "http://am:9093", .up = false, .pushes_ok = 4, .pushes_failed = 7});
  std::string text = RenderFleetSeries(SplitFleet(), nullptr, &f, {});
  EXPECT_NE(text.find("guts_collector_alert_endpoint_up{endpoint=\"http://am:9093\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("guts_collector_alert_pushes_total{endpoint=\"http://am:9093\","
                      "result=\"failed\"} 7"),
            std::string::npos);
  EXPECT_NE(text.find("guts_collector_alert_resolutions_pending 1"), std::string::npos);
  EXPECT_NE(text.find("guts_collector_alert_resolutions_left_to_replica_total 3"),
            std::string::npos);
}

// Two validators of seven have no agent (S25's shape): counted, weighed, named, and no lag
// series that would read "caught up".
v1::FleetStatus FleetWithUnobserved(int unobserved) {
  v1::FleetStatus f = SplitFleet();
  f.set_validator_count(2 + unobserved);
  for (int k = 0; k < unobserved; ++k) {
    v1::NodeStatus* n = f.add_nodes();
    n->set_node_id("u" + std::to_string(k));
    n->set_role("validator");
    n->set_state(v1::UNOBSERVED);
    n->set_unobserved(true);
    n->set_weight(50);
    n->set_organisation("org-" + std::to_string(k));
  }
  return f;
}

TEST(FleetSeriesTest, UnobservedValidatorsAreCountedWeighedAndNamed) {
  std::string text = RenderFleetSeries(FleetWithUnobserved(2), nullptr, nullptr, {});
  EXPECT_NE(text.find("guts_fleet_validators 4"), std::string::npos) << text;
  EXPECT_NE(text.find("guts_fleet_unobserved_validators 2"), std::string::npos);
  EXPECT_NE(text.find("guts_fleet_unobserved_weight 100"), std::string::npos);
  EXPECT_NE(text.find("guts_validator_unobserved{node=\"u1\",organisation=\"org-1\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("guts_fleet_unobserved_series_truncated 0"), std::string::npos);
  EXPECT_NE(text.find("guts_node_state{node=\"u0\",state=\"UNOBSERVED\"} 1"), std::string::npos);
  EXPECT_EQ(text.find("guts_node_lag_blocks{node=\"u0\"}"), std::string::npos)
      << "no agent, no lag: a 0 would read as caught up";
  EXPECT_EQ(text.find("guts_validator_unobserved{node=\"v1\""), std::string::npos);
}

TEST(FleetSeriesTest, UnobservedSeriesAreBoundedButTheCountsStay) {
  std::string text =
      RenderFleetSeries(FleetWithUnobserved(3), nullptr, nullptr, {.max_unobserved_series = 2});
  EXPECT_EQ(text.find("guts_validator_unobserved{"), std::string::npos) << text;
  EXPECT_NE(text.find("guts_fleet_unobserved_series_truncated 1"), std::string::npos);
  EXPECT_NE(text.find("guts_fleet_unobserved_validators 3"), std::string::npos);
  text = RenderFleetSeries(FleetWithUnobserved(0), nullptr, nullptr, {});
  EXPECT_NE(text.find("guts_fleet_unobserved_validators 0"), std::string::npos) << text;
}

// The whole page the collector serves (its own series and these) is one valid exposition: a
// family written twice (guts_node_agent_connected once was) makes Prometheus' linter and
// stricter parsers refuse the scrape. Checked with promtool (Debian `prometheus`).
TEST(FleetSeriesTest, TheWholeMetricsPagePassesPromtool) {
  v1::Topology t = Split(2);
  AlertPusherFigures f{.firing = 1};
  f.endpoints.push_back({.url = "http://am:9093", .up = true, .pushes_ok = 1});
  CollectorMetrics metrics;
  v1::FleetStatus fleet = FleetWithUnobserved(2);
  std::string page =
      metrics.Render(fleet, {}) + RenderFleetSeries(fleet, &t, &f, {.link_series = true});
  std::string path = guts::testing::ScratchFilePath("metrics-page", ".txt");
  std::FILE* out = std::fopen(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  std::fwrite(page.data(), 1, page.size(), out);
  std::fclose(out);
  guts::testing::ShellResult r = guts::testing::Shell("promtool check metrics < " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("second HELP"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace guts::collector
