// Variants of the SCENARIOS.md faults that issue 16 found wrong, as end-to-end rows: a
// partition that heals and comes back (one incident, two episodes, no flapping links), a heavy
// validator isolated among uneven weights (its peers' low-peer echoes folded; the quorum at
// risk in simulation mode, where weights count), and a sparse peer topology (each node peered
// with six of nine: nothing opens, and every node hears all the peers it is expected to).
// Real scale, like scenario_suite_test.cc. Each test owns the loopback range 127.<k>.0.0.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/scenarios/scenario_runner.h"

namespace guts::testing {
namespace {

// The state of the first incident of `kind`, or UNSPECIFIED when none is listed yet.
v1::IncidentState StateOf(Fleet& fleet, v1::IncidentKind kind) {
  absl::StatusOr<std::vector<v1::Incident>> list = fleet.Incidents(true);
  if (!list.ok()) return v1::INCIDENT_STATE_UNSPECIFIED;
  for (const v1::Incident& inc : *list) {
    if (inc.kind() == kind) return inc.state();
  }
  return v1::INCIDENT_STATE_UNSPECIFIED;
}

// Polls until the first incident of `kind` is in `state`; false when `stop` came first.
bool WaitFor(Fleet& fleet, v1::IncidentKind kind, v1::IncidentState state,
             const std::atomic<bool>& stop) {
  while (!stop) {
    if (StateOf(fleet, kind) == state) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

TEST(DetectionVariant, PartitionHealedAndSplitAgainIsOneIncidentWithTwoEpisodes) {
  // Split, wait for the PARTITION, heal, wait until it resolves, split again: the second split
  // reopens the same incident (its second episode) within the reopen cooldown, once, and the
  // cut links, down and up twice within the flap window, open no FLAPPING_LINK.
  Scenario sc{.id = "repeated-partition",
              .faults = {{"partition", "v1,v2,v3,v4,v5|v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::PARTITION,
              .severity = v1::P2,
              .names = V(6, 7),
              .groups = {V(1, 5), V(6, 7)},
              .episodes = 2,
              // Long enough for the heal, the clearing and the second detection.
              .hold = absl::Seconds(35)};
  sc.during = [](Fleet& fleet, const std::atomic<bool>& stop) {
    if (!WaitFor(fleet, v1::PARTITION, v1::OPEN, stop)) return;
    absl::SleepFor(absl::Seconds(3));
    if (!fleet.Ctl({"heal"}).ok()) return;
    if (!WaitFor(fleet, v1::PARTITION, v1::RESOLVED, stop)) return;
    absl::SleepFor(absl::Seconds(2));
    (void)fleet.Ctl({"partition", "v1,v2,v3,v4,v5|v6,v7"});
  };
  RunScenario(sc, 165);
}

TEST(DetectionVariant, HeavyValidatorIsolatedAmongUnevenWeightsIsOneIsolation) {
  // v1 holds 300 of 900: isolating it leaves 600, exactly the quorum (ceil(2/3 x 900)), so one
  // more loss halts the chain. In Simplex mode every participant has one vote: 6 of 7 up,
  // quorum 5, and no quorum at risk (which would then be a false positive).
  Scenario sc{.id = "isolated-heavy",
              .faults = {{"isolate", "v1"}},
              .heals = {{"heal"}},
              .kind = v1::NODE_ISOLATED,
              .severity = v1::P2,
              .names = {"v1"},
              .sim_args = {"--weights", "300,100,100,100,100,100,100"}};
  if (!SimplexMode()) sc.required = {v1::QUORUM_AT_RISK};
  RunScenario(sc, 166);
}

TEST(DetectionVariant, SparseTopologyIsHealthyWithEveryPeerExpectedHeard) {
  // Ten nodes, each peered with six (ring distances 1, 2 and 4): nothing opens, and every node
  // hears as many peers as it is expected to. In simulation mode the sim writes each node's
  // peers as its allowed_peers, so the expected count is six; in Simplex mode the allowed
  // peers are the validator set (every participant), so it is nine while six are heard.
  Scenario sc{.id = "sparse-topology",
              .nodes = 10,
              .observe = absl::Seconds(20),
              .sim_args = {"--peers-per-node", "2"}};
  sc.verify = [](Fleet& fleet) -> absl::Status {
    absl::StatusOr<v1::FleetStatus> status = fleet.Status();
    if (!status.ok()) return status.status();
    const uint32_t expected = SimplexMode() ? 9 : 6;
    for (const v1::NodeStatus& n : status->nodes()) {
      if (n.peers_heard() != 6 || n.peers_expected() != expected || n.state() != v1::HEALTHY) {
        return absl::InternalError(absl::StrCat(
            n.node_id(), " hears ", n.peers_heard(), " of ", n.peers_expected(), ", state ",
            v1::NodeState_Name(n.state()), "; want 6 of ", expected, ", HEALTHY"));
      }
    }
    if (status->nodes_size() != 10) return absl::InternalError("not ten nodes");
    return absl::OkStatus();
  };
  RunScenario(sc, 172);
}

}  // namespace
}  // namespace guts::testing
