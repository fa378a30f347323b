// Alerts built from incidents: labels from the cause only, Alertmanager's payload shapes.
#include "collector/alerting/alert.h"

#include "gtest/gtest.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

v1::Incident SplitIncident(const std::string& id, int64_t opened_ms) {
  v1::Incident i;
  i.set_id(id);
  i.set_kind(v1::PARTITION_NO_QUORUM);
  i.set_severity(v1::P1);
  i.set_state(v1::OPEN);
  i.set_summary("network split 4|3, no side holds quorum");
  for (const char* n : {"v1", "v2", "v3", "v4", "v5", "v6", "v7"}) i.add_nodes(n);
  v1::NodeGroup* g = i.add_groups();
  g->add_nodes("v1");
  g->set_weight(400);
  (*i.mutable_evidence())["quorum_weight"] = "467";
  i.mutable_runbook()->set_name("network-partition");
  i.set_opened_unix_ms(opened_ms);
  i.set_cause_key("PARTITION");
  return i;
}

TEST(AlertTest, TwoReplicasOfOneCauseGiveOneLabelSet) {
  // Two collectors open the same split at different moments, with different incident ids.
  Alert a = AlertForIncident(SplitIncident("inc-1000-aa", 1000), {.network = "mainnet"});
  Alert b = AlertForIncident(SplitIncident("inc-1700-aa", 1700), {.network = "mainnet"});
  EXPECT_EQ(AlertIdentity(a), AlertIdentity(b));
  EXPECT_EQ(a.labels.at("alertname"), "PARTITION_NO_QUORUM");
  EXPECT_EQ(a.labels.at("severity"), "P1");
  EXPECT_EQ(a.labels.at("network"), "mainnet");
  EXPECT_EQ(a.labels.at("incident_id"), "PARTITION");
  // The split's node list moves as the fault evolves: it stays out of the labels.
  EXPECT_FALSE(a.labels.contains("nodes"));
  EXPECT_NE(a.annotations.at("description").find("quorum_weight: 467"), std::string::npos);
  EXPECT_EQ(a.annotations.at("runbook_url").substr(a.annotations.at("runbook_url").size() - 17),
            "network-partition");
  EXPECT_NE(a.annotations.at("command").find("gutsctl net partitions"), std::string::npos);
  EXPECT_NE(a.annotations.at("command").find("incident show inc-1000-aa"), std::string::npos);
}

// Replicas named: a cause still gives one label set (the replica only in an annotation), while
// a fact about one replica itself gives one label set per replica.
TEST(AlertTest, ReplicasShareCauseLabelsButNotTheirOwnHealth) {
  AlertContext c0{.network = "mainnet", .replica = "collector-0"};
  AlertContext c1{.network = "mainnet", .replica = "collector-1"};
  Alert split0 = AlertForIncident(SplitIncident("inc-1000-aa", 1000), c0);
  Alert split1 = AlertForIncident(SplitIncident("inc-1700-aa", 1700), c1);
  EXPECT_EQ(AlertIdentity(split0), AlertIdentity(split1));
  EXPECT_FALSE(split0.labels.contains(kReplicaKey));
  EXPECT_EQ(split0.annotations.at(kReplicaKey), "collector-0");
  EXPECT_EQ(split1.annotations.at(kReplicaKey), "collector-1");
  for (v1::IncidentKind kind : {v1::COLLECTOR_UNREACHABLE, v1::COLLECTOR_DEGRADED}) {
    v1::Incident own;
    own.set_id("inc-1-bb");
    own.set_kind(kind);
    own.set_severity(v1::P2);
    own.set_state(v1::OPEN);
    own.set_cause_key(v1::IncidentKind_Name(kind));
    Alert a0 = AlertForIncident(own, c0);
    Alert a1 = AlertForIncident(own, c1);
    EXPECT_NE(AlertIdentity(a0), AlertIdentity(a1)) << v1::IncidentKind_Name(kind);
    EXPECT_EQ(a0.labels.at(kReplicaKey), "collector-0");
    EXPECT_EQ(a1.labels.at(kReplicaKey), "collector-1");
  }
}

// The first command comes from the kind's declaration (IncidentKindSpec::first_command): the
// table alerting kept by enum value before, kind by kind.
TEST(AlertTest, TheFirstCommandIsTheOneTheKindDeclares) {
  const std::pair<v1::IncidentKind, std::string> expected[] = {
      {v1::PARTITION, "net partitions"},
      {v1::PARTITION_NO_QUORUM, "net partitions"},
      {v1::PARTIAL_PARTITION, "net partitions"},
      {v1::FLEET_PEER_LOSS, "net partitions"},
      {v1::ONE_WAY_LINK, "net matrix"},
      {v1::FLAPPING_LINK, "net matrix"},
      {v1::NODE_ONE_WAY_ISOLATION, "net matrix"},
      {v1::NODE_ISOLATED, "net matrix"},
      {v1::FORK, "fleet status"},
      {v1::CONSENSUS_STUCK, "fleet status"},
      {v1::QUORUM_AT_RISK, "fleet status"},
      {v1::COLLECTOR_DEGRADED, "fleet status"},
      {v1::NODE_LAGGING, "node show v4"},
      {v1::CLOCK_SKEW, "node show v4"}};
  for (const auto& [kind, command] : expected) {
    v1::Incident i;
    i.set_id("inc-1-x");
    i.set_kind(kind);
    i.add_nodes("v4");
    EXPECT_EQ(AlertForIncident(i, {}).annotations.at("command"),
              "gutsctl " + command + "; gutsctl incident show inc-1-x")
        << v1::IncidentKind_Name(kind);
  }
}

TEST(AlertTest, ANodeCauseNamesItsNodeAndANewSeverityIsANewLabelSet) {
  v1::Incident i;
  i.set_id("inc-1-x");
  i.set_kind(v1::NODE_DOWN);
  i.set_severity(v1::P2);
  i.set_state(v1::OPEN);
  i.add_nodes("v4");
  i.set_cause_key("NODE_DOWN:v4");
  Alert p2 = AlertForIncident(i, {});
  EXPECT_EQ(p2.labels.at("nodes"), "v4");
  EXPECT_NE(p2.annotations.at("command").find("gutsctl node show v4"), std::string::npos);
  i.set_severity(v1::P1);
  EXPECT_NE(AlertIdentity(AlertForIncident(i, {})), AlertIdentity(p2));
}

TEST(AlertTest, ResolvedIncidentEndsAtItsResolution) {
  v1::Incident i = SplitIncident("inc-1", 1000);
  i.set_state(v1::RESOLVED);
  i.set_resolved_unix_ms(5000);
  Alert a = AlertForIncident(i, {});
  EXPECT_EQ(a.ends_at, absl::FromUnixMillis(5000));
  nlohmann::json body = AlertmanagerPayload({a}, absl::FromUnixMillis(99000));
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(body[0]["startsAt"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(body[0]["endsAt"], "1970-01-01T00:00:05.000Z");
}

TEST(AlertTest, OpenAlertIsValidUntilTheHorizon) {
  Alert a = AlertForIncident(SplitIncident("inc-1", 1000), {});
  nlohmann::json body = AlertmanagerPayload({a}, absl::FromUnixMillis(61000));
  EXPECT_EQ(body[0]["endsAt"], "1970-01-01T00:01:01.000Z");
  EXPECT_EQ(body[0]["labels"]["alertname"], "PARTITION_NO_QUORUM");
}

TEST(AlertTest, WebhookPayloadHasAlertmanagersShape) {
  Alert firing = AlertForIncident(SplitIncident("inc-1", 1000), {.network = "n"});
  v1::Incident r = SplitIncident("inc-2", 1000);
  r.set_cause_key("FORK");
  r.set_kind(v1::FORK);
  r.set_state(v1::RESOLVED);
  r.set_resolved_unix_ms(2000);
  Alert resolved = AlertForIncident(r, {.network = "n"});
  nlohmann::json p =
      WebhookPayload({firing, resolved}, {.network = "n"}, absl::FromUnixMillis(3000));
  EXPECT_EQ(p["version"], "4");
  EXPECT_EQ(p["status"], "firing");
  EXPECT_EQ(p["groupLabels"]["network"], "n");
  EXPECT_EQ(p["commonLabels"]["network"], "n");
  EXPECT_FALSE(p["commonLabels"].contains("alertname"));
  ASSERT_EQ(p["alerts"].size(), 2u);
  EXPECT_EQ(p["alerts"][0]["status"], "firing");
  EXPECT_EQ(p["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(p["alerts"][1]["status"], "resolved");
  EXPECT_EQ(p["alerts"][1]["fingerprint"].get<std::string>().size(), 16u);
}

TEST(AlertTest, JsonRoundTripKeepsTheAlert) {
  v1::Incident i = SplitIncident("inc-1", 1000);
  i.set_state(v1::RESOLVED);
  i.set_resolved_unix_ms(2500);
  Alert a = AlertForIncident(i, {.external_url = "http://c:7401"});
  absl::StatusOr<Alert> b = AlertFromJson(AlertToJson(a));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(AlertIdentity(*b), AlertIdentity(a));
  EXPECT_EQ(b->annotations, a.annotations);
  EXPECT_EQ(b->starts_at, a.starts_at);
  EXPECT_EQ(b->ends_at, a.ends_at);
  EXPECT_EQ(b->generator_url, "http://c:7401");
  EXPECT_FALSE(AlertFromJson(nlohmann::json::parse(R"({"labels": 3})")).ok());
}

TEST(AlertTest, LongEvidenceIsCutToTheBound) {
  v1::Incident i = SplitIncident("inc-1", 1000);
  for (int k = 0; k < 500; ++k) (*i.mutable_evidence())["k" + std::to_string(k)] = "é long value";
  Alert a = AlertForIncident(i, {});
  EXPECT_LE(a.annotations.at("description").size(), kMaxDescriptionBytes);
  EXPECT_TRUE(nlohmann::json(a.annotations.at("description")).dump().size() > 0);  // valid UTF-8
}

}  // namespace
}  // namespace guts::collector
