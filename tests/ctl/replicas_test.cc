// gutsctl with several collector replicas, against real in-process FleetService servers: the
// first healthy replica answers and is named; replicas that hear different parts of the fleet
// are called out; --all-collectors shows each view.
#include "ctl/replicas.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "ctl/app.h"
#include "gtest/gtest.h"
#include "tests/ctl/test_fleet_service.h"

namespace guts::ctl {
namespace {

using testing::FleetFixture;
using testing::FourThreeSplitOfSeven;
using testing::TestFleetService;

// Nothing listens here: connection refused at once.
constexpr char kDead[] = "127.0.0.1:1";

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Gutsctl(std::vector<std::string> args) {
  args.insert(args.begin(), "gutsctl");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  int code = RunGutsctl(static_cast<int>(argv.size()), argv.data(), out, err, false);
  return {code, out.str(), err.str()};
}

// The split fleet as one replica sees it: its agents' streams up for `heard` only.
FleetFixture HearingOnly(const std::set<std::string>& heard) {
  FleetFixture fixture = FourThreeSplitOfSeven();
  for (v1::NodeStatus& node : *fixture.status.mutable_nodes()) {
    node.set_connected(heard.contains(node.node_id()));
  }
  return fixture;
}

const std::set<std::string> kAll = {"v1", "v2", "v3", "v4", "v5", "v6", "v7"};

TEST(ReplicasTest, CollectorListIsSplitTrimmedAndDeduplicated) {
  EXPECT_EQ(*ParseCollectorList(" a:1, b:2,,a:1 "), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(*ParseCollectorList("[::1]:7400"), (std::vector<std::string>{"[::1]:7400"}));
}

TEST(ReplicasTest, ACollectorAddressThatIsNotHostPortIsRefusedNamingIt) {
  for (const char* bad : {"collector.example", "a:1,b", "a:99999", "a:0", "::1:7400", " , "}) {
    absl::StatusOr<std::vector<std::string>> list = ParseCollectorList(bad);
    ASSERT_FALSE(list.ok()) << bad;
    EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(list.status().message().find("--collector"), std::string::npos) << list.status();
  }
  // Through the command line: a clear error and exit code 2, no call made.
  Outcome o = Gutsctl({"--insecure", "--collector", "collector.example", "fleet", "status"});
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("collector.example"), std::string::npos) << o.err;
}

TEST(ReplicasTest, TheFirstHealthyReplicaAnswersAndIsNamed) {
  TestFleetService alive(HearingOnly(kAll));
  Outcome o = Gutsctl(
      {"--insecure", "--collector", absl::StrCat(kDead, ",", alive.address()), "fleet", "status"});
  EXPECT_EQ(o.code, 3) << o.err;  // the fixture's open P1: the answer came
  EXPECT_NE(o.err.find(absl::StrCat("answering from collector ", alive.address())),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(absl::StrCat("skipped ", kDead)), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("v7"), std::string::npos);
}

TEST(ReplicasTest, NoReplicaAnsweringIsAnErrorNamingEach) {
  Outcome o = Gutsctl({"--insecure", "--deadline", "2s", "--collector",
                       absl::StrCat(kDead, ",127.0.0.1:2"), "fleet", "status"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("no collector answered"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("127.0.0.1:2"), std::string::npos) << o.err;
}

TEST(ReplicasTest, ReplicasHearingDifferentPartsOfTheFleetAreCalledOut) {
  TestFleetService a(HearingOnly(kAll));
  TestFleetService b(HearingOnly({"v1", "v2", "v3", "v4"}));
  std::string both = absl::StrCat(a.address(), ",", b.address());
  Outcome o = Gutsctl({"--insecure", "--no-color", "--collector", both, "fleet", "status"});
  EXPECT_NE(o.out.find("replicas hear different parts of the fleet"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(absl::StrCat(b.address(), " hears 4: v1 v2 v3 v4")), std::string::npos)
      << o.out;

  Outcome all = Gutsctl(
      {"--insecure", "--no-color", "--collector", both, "--all-collectors", "fleet", "status"});
  EXPECT_NE(all.out.find("COLLECTOR REPLICAS"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find(absl::StrCat(a.address(), "  hears 7 of 7 nodes")), std::string::npos)
      << all.out;
  EXPECT_NE(all.out.find(absl::StrCat(b.address(), "  hears 4 of 7 nodes")), std::string::npos)
      << all.out;

  // With -o json the JSON on stdout stays one FleetStatus; the comparison goes to stderr.
  Outcome json = Gutsctl({"--insecure", "--collector", both, "-o", "json", "fleet", "status"});
  EXPECT_EQ(json.out.find("replicas hear"), std::string::npos);
  EXPECT_NE(json.err.find("replicas hear different parts of the fleet"), std::string::npos);
}

TEST(ReplicasTest, ReplicasThatAgreeAddNothing) {
  TestFleetService a(HearingOnly(kAll));
  TestFleetService b(HearingOnly(kAll));
  Outcome o = Gutsctl({"--insecure", "--no-color", "--collector",
                       absl::StrCat(a.address(), ",", b.address()), "fleet", "status"});
  EXPECT_EQ(o.out.find("replicas hear"), std::string::npos) << o.out;
  std::vector<ReplicaView> views =
      AskEveryCollector(ClientOptions{.tls = {.insecure = true}}, {a.address(), b.address()});
  ASSERT_EQ(views.size(), 2u);
  EXPECT_TRUE(views[0].status.ok());
  EXPECT_EQ(views[0].open_causes, views[1].open_causes);
  EXPECT_EQ(ReplicaSplitWarning(views), "");
}

TEST(ReplicasTest, IncidentsOpenOnOneReplicaOnlyAreNamedByCause) {
  FleetFixture quiet = HearingOnly(kAll);
  quiet.status.clear_open_incidents();
  TestFleetService a(HearingOnly(kAll));
  TestFleetService b(quiet);
  std::vector<ReplicaView> views =
      AskEveryCollector(ClientOptions{.tls = {.insecure = true}}, {a.address(), b.address()});
  ASSERT_TRUE(views[0].status.ok() && views[1].status.ok());
  ASSERT_FALSE(views[0].open_causes.empty());
  std::string warning = ReplicaSplitWarning(views);
  EXPECT_NE(warning.find(absl::StrCat("open only on ", a.address())), std::string::npos) << warning;
  EXPECT_NE(warning.find(*views[0].open_causes.begin()), std::string::npos) << warning;
}

}  // namespace
}  // namespace guts::ctl
