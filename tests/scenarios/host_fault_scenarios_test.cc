// The SCENARIOS.md rows whose fault lives on the host rather than in the simulated network:
// the real sim, agents and collector (scenario_runner.h), with the host-side half of the fault
// made for real by the test.
//
//   S20 clock skew (decoy): v3's agent runs with libfaketime at +5 min (its host clock) and
//       `guts-sim ctl clock v3 +5m` shifts v3's log timestamps (all of the clock the sim owns).
//       CLOCK_SKEW P3 naming v3, and nothing else.
//   S22 disk filling: the test moves into a private mount namespace (root), the sim mounts a
//       64 MiB tmpfs on every data dir (--data-dir-size) and `guts-sim ctl disk v2 0.93` fills
//       v2's for real; the agent's statvfs sees it. DISK_FULL P1 naming v2.
//   S10 collector cut off from some agents: the test moves into a private network namespace
//       (root, nftables), restarts v2's and v3's agents with group id 4210 and drops with an
//       nftables rule every packet of that group to the collector's gRPC port (peers, node
//       APIs and the other agents untouched). COLLECTOR_UNREACHABLE P3 naming v2 and v3, then
//       after the heal every snapshot they spooled is in the collector's history once, in
//       order (seqs contiguous across the outage, GetNodeHistory).
//       The cut stays GUTS_S10_OUTAGE after the incident opened: 90 s by default (CI), and
//       SCENARIOS.md's full 5 minutes with
//         GUTS_S10_OUTAGE=5m ctest --test-dir build/<name> -R S10
//
// S22 and S10 skip (with the reason) when not root, S10 also when nft is missing, S20 when
// faketime is missing (scripts/apt-packages.txt installs it). Each test moves only its own
// process (and so its children) into a new namespace; the host's are never touched.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/host_port.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "tests/scenarios/scenario_runner.h"
#include "tests/support/private_network.h"

namespace guts::testing {
namespace {

absl::Status RunShell(const std::string& command) {
  ShellResult r = Shell(command);
  if (r.exit_code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("`", command, "` failed: ", r.output));
}

// The path of `program` on $PATH (agents are started with posix_spawn, which does not search
// it), or `program` itself when not found.
std::string OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return program;
}

ino_t NamespaceInode(const char* kind) {
  struct stat st {};
  return stat(absl::StrCat("/proc/self/ns/", kind).c_str(), &st) == 0 ? st.st_ino : 0;
}

// v3's host clock 5 minutes ahead: libfaketime (the multi-threaded variant: the agent runs
// gRPC threads) preloaded into the agent itself, shifting its wall clock only
// (CLOCK_MONOTONIC stays real, so gRPC's and absl's timers and deadlines are unaffected). Not
// the `faketime` wrapper: it forks, and stopping the wrapper would leave the agent running.
// ld.so expands $LIB to the architecture's library directory.
constexpr char kFakeTimePreload[] = "LD_PRELOAD=/usr/$LIB/faketime/libfaketimeMT.so.1";
std::vector<std::string> FiveMinutesAhead() {
  return {OnPath("env"), kFakeTimePreload, "FAKETIME=+5m", "FAKETIME_DONT_FAKE_MONOTONIC=1"};
}

// Whether the preload really moves the clock (the library is installed).
bool FakeTimeWorks() {
  ShellResult faked = Shell(absl::StrCat("env '", kFakeTimePreload, "' FAKETIME=+5m date +%s"));
  ShellResult real = Shell("date +%s");
  long shift = std::atol(faked.output.c_str()) - std::atol(real.output.c_str());
  return faked.exit_code == 0 && shift > 290 && shift < 310;
}

TEST(HostFaultScenario, S20ClockFiveMinutesAheadIsClockSkewOnly) {
  if (!FakeTimeWorks()) {
    GTEST_SKIP() << "needs libfaketime (apt-get install faketime; see scripts/apt-packages.txt)";
  }
  Scenario sc{.id = "S20",
              .faults = {{"clock", "v3", "+5m"}},
              .heals = {{"heal"}},
              .inject =
                  [](Fleet& fleet) {
                    fleet.StartAgent("v3", FiveMinutesAhead());
                    return absl::OkStatus();
                  },
              .heal =
                  [](Fleet& fleet) {
                    fleet.StartAgent("v3");
                    return absl::OkStatus();
                  },
              .kind = v1::CLOCK_SKEW,
              .severity = v1::P3,
              .names = {"v3"},
              .detect_budget = absl::Seconds(30),
              .summary_contains = "ahead of the collector's"};
  RunScenario(sc, 160);
}

TEST(HostFaultScenario, S22DataDirAboveNinetyPercentIsDiskFullP1) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root for a private mount namespace and tmpfs data dirs (not root)";
  }
  // Into a private mount namespace before any child exists: the sim's tmpfs mounts stay here.
  ino_t host = NamespaceInode("mnt");
  ASSERT_EQ(unshare(CLONE_NEWNS), 0) << "unshare(CLONE_NEWNS) failed";
  ASSERT_NE(NamespaceInode("mnt"), host) << "still in the host's mount namespace";
  ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
      << "mount --make-rprivate / failed";
  Scenario sc{.id = "S22",
              .faults = {{"disk", "v2", "0.93"}},
              .heals = {{"disk", "v2", "0"}},
              .kind = v1::DISK_FULL,
              .severity = v1::P1,
              .names = {"v2"},
              .sim_args = {"--data-dir-size", "64m"}};
  RunScenario(sc, 162);
}

// GUTS_S10_OUTAGE (an absl duration such as 90s or 5m), or 90 s.
absl::Duration S10Outage() {
  absl::Duration d = absl::Seconds(90);
  const char* env = std::getenv("GUTS_S10_OUTAGE");
  if (env != nullptr && !absl::ParseDuration(env, &d)) d = absl::Seconds(90);
  return d;
}

constexpr int kCutGroup = 4210;  // the group id v2's and v3's agents run with

std::string CollectorPort(const Fleet& fleet) {
  absl::StatusOr<HostPort> addr = ParseHostPort(fleet.collector_grpc());
  return addr.ok() ? absl::StrCat(addr->port) : "";
}

// The seqs of `node`'s stored snapshots whose agent time is at or after `from`, oldest first.
absl::StatusOr<std::vector<v1::HistoryPoint>> History(const Fleet& fleet, const std::string& node,
                                                      absl::Time from) {
  auto stub = v1::FleetService::NewStub(
      grpc::CreateChannel(fleet.collector_grpc(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::NodeHistoryRequest request;
  request.set_node_id(node);
  request.set_from_unix_ms(absl::ToUnixMillis(from));
  std::unique_ptr<grpc::ClientReader<v1::HistoryPoint>> reader =
      stub->GetNodeHistory(&context, request);
  std::vector<v1::HistoryPoint> points;
  v1::HistoryPoint point;
  while (reader->Read(&point)) points.push_back(point);
  grpc::Status s = reader->Finish();
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return points;
}

// Every snapshot of `node` from before the cut to after the heal stored once, in order: seqs
// rise by exactly one (none lost, none twice), and the points span the whole outage.
absl::Status CheckReplayed(const Fleet& fleet, const std::string& node, absl::Time cut,
                           absl::Time healed) {
  absl::StatusOr<std::vector<v1::HistoryPoint>> points =
      History(fleet, node, cut - absl::Seconds(20));
  if (!points.ok()) return points.status();
  if (points->empty()) return absl::NotFoundError(absl::StrCat(node, ": no history"));
  int during = 0;
  for (size_t i = 0; i < points->size(); ++i) {
    const v1::HistoryPoint& p = (*points)[i];
    if (i > 0 && p.seq() != (*points)[i - 1].seq() + 1) {
      return absl::DataLossError(absl::StrCat(node, ": seq ", (*points)[i - 1].seq(), " then ",
                                              p.seq(), " (", points->size(), " points)"));
    }
    absl::Time t = absl::FromUnixMillis(p.unix_ms());
    if (t > cut && t < healed) ++during;
  }
  absl::Time first = absl::FromUnixMillis(points->front().unix_ms());
  absl::Time last = absl::FromUnixMillis(points->back().unix_ms());
  // One snapshot a second: the outage must be covered, give or take a restart's second.
  int expected = static_cast<int>(absl::ToInt64Seconds(healed - cut)) - 3;
  if (first > cut || last < healed || during < expected) {
    return absl::DataLossError(absl::StrCat(
        node, ": ", points->size(), " points from ", absl::FormatTime(first), " to ",
        absl::FormatTime(last), ", ", during, " inside the outage (expected >= ", expected, ")"));
  }
  std::printf("S10 %s: seqs %llu..%llu contiguous, %d snapshots spooled over the outage\n",
              node.c_str(), static_cast<unsigned long long>(points->front().seq()),
              static_cast<unsigned long long>(points->back().seq()), during);
  return absl::OkStatus();
}

TEST(HostFaultScenario, S10CollectorCutOffFromTwoAgentsIsUnreachableAndTheSpoolReplaysInOrder) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace (not root)";
  if (Shell("nft --version").exit_code != 0) {
    GTEST_SKIP() << "needs nftables (the nft command is missing)";
  }
  if (Shell("setpriv --version").exit_code != 0) GTEST_SKIP() << "needs setpriv (util-linux)";
  // Into a private network namespace before any child or gRPC thread exists.
  absl::Status private_network = EnterPrivateNetworkNamespace();
  ASSERT_TRUE(private_network.ok()) << private_network;

  const std::vector<std::string> cut_group = {OnPath("setpriv"), "--regid", absl::StrCat(kCutGroup),
                                              "--clear-groups", "--"};
  absl::Time cut, healed;
  Scenario sc{
      .id = "S10",
      .inject =
          [&](Fleet& fleet) {
            cut = absl::Now();
            return RunShell(absl::StrCat(
                "nft add table inet guts_s10 && nft add chain inet guts_s10 out "
                "'{ type filter hook output priority 0; }' && nft add rule inet guts_s10 out "
                "meta skgid ",
                kCutGroup, " tcp dport ", CollectorPort(fleet), " drop"));
          },
      .heal =
          [&](Fleet& fleet) {
            // The names are checked here, while both are cut off: once the heal lets the
            // first of them through, the incident rightly narrows to the one still missing.
            absl::StatusOr<std::vector<v1::Incident>> open = fleet.Incidents(false);
            healed = absl::Now();
            absl::Status s = RunShell("nft delete table inet guts_s10");
            if (!open.ok()) return open.status();
            std::string seen;
            for (const v1::Incident& incident : *open) {
              if (incident.kind() != v1::COLLECTOR_UNREACHABLE) continue;
              std::vector<std::string> names(incident.nodes().begin(), incident.nodes().end());
              if (names == std::vector<std::string>{"v2", "v3"}) return s;
              seen = absl::StrJoin(names, ",");
            }
            return absl::FailedPreconditionError(absl::StrCat(
                "before the heal, no open COLLECTOR_UNREACHABLE named v2,v3 (one named: [", seen,
                "])"));
          },
      .kind = v1::COLLECTOR_UNREACHABLE,
      .severity = v1::P3,
      .detect_budget = absl::Seconds(15),
      .hold = S10Outage(),
      .prepare =
          [&](Fleet& fleet) {
            // Same agents, same state dirs: only their group changes, so the rule can pick
            // their sockets out.
            fleet.StartAgent("v2", cut_group);
            fleet.StartAgent("v3", cut_group);
            return absl::OkStatus();
          },
      .verify =
          [&](Fleet& fleet) {
            for (const char* node : {"v2", "v3"}) {
              absl::Status s = CheckReplayed(fleet, node, cut, healed);
              if (!s.ok()) return s;
            }
            return absl::OkStatus();
          }};
  RunScenario(sc, 150);
}

}  // namespace
}  // namespace guts::testing
