#include "ctl/render/json.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/ctl/fleet_fixtures.h"
#include "tests/ctl/golden.h"

namespace guts::ctl {
namespace {

using testing::ExpectGolden;
using testing::FourThreeSplitOfSeven;

TEST(JsonTest, FleetStatusSchemaIsStable) {
  std::string text = RenderJson(FourThreeSplitOfSeven().status);
  ExpectGolden("fleet_status_4_3.json", text);
  nlohmann::json json = nlohmann::json::parse(text);
  const nlohmann::json& v1 = json["nodes"][0];
  EXPECT_EQ(v1["node_id"], "v1");
  EXPECT_EQ(v1["state"], "DEGRADED");
  // 64-bit integers are numbers, not the proto3 mapping's strings.
  ASSERT_TRUE(v1["height"].is_number_unsigned());
  EXPECT_EQ(v1["height"].get<uint64_t>(), 1842u);
  ASSERT_TRUE(v1["last_seen_age_ms"].is_number_integer());
  // Zero values are printed, so scripts never meet a missing key.
  EXPECT_EQ(v1["lag"].get<uint64_t>(), 0u);
  EXPECT_EQ(v1["incident_ids"], nlohmann::json::array());
  EXPECT_EQ(json["open_incidents"][0]["severity"], "P1");
  EXPECT_EQ(json["open_incidents"][0]["kind"], "PARTITION_NO_QUORUM");
  EXPECT_EQ(json["open_incidents"][0]["groups"][0]["weight"].get<uint64_t>(), 400u);
}

TEST(JsonTest, TopologyAndIncidentKeepProtoFieldNames) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  std::string topology = RenderJson(fixture.topology);
  ExpectGolden("net_topology_4_3.json", topology);
  nlohmann::json json = nlohmann::json::parse(topology);
  EXPECT_EQ(json["cut_edges"].size(), 12u);
  EXPECT_TRUE(json["matrix"][0].contains("last_heard_age_ms"));
  ExpectGolden("incident_show_4_3.json", RenderJson(fixture.incidents.incidents(0)));
}

TEST(JsonTest, HistoryIsAnObjectWithPoints) {
  testing::FleetFixture fixture = FourThreeSplitOfSeven();
  nlohmann::json json = nlohmann::json::parse(RenderHistoryJson("v5", fixture.history["v5"]));
  EXPECT_EQ(json["node_id"], "v5");
  ASSERT_EQ(json["points"].size(), 30u);
  EXPECT_TRUE(json["points"][29]["height"].is_number());
  EXPECT_EQ(json["points"][29]["height"].get<uint64_t>(), 1839u);
}

}  // namespace
}  // namespace guts::ctl
