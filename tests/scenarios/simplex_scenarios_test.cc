// Production conditions against real processes (SCENARIOS.md S25-S28): a Simplex guts-sim
// (participants from each node's config.yaml, one vote each, digests and rounds from the log),
// with agents on only some validators in S25 and S26. The operator's validator file names the
// validators without an agent (by P2P address), as an operator of a mixed network would.
// Each test owns the loopback range 127.<200+k>.0.0 (k = its scenario number).
#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/scenarios/scenario_runner.h"
#include "tests/support/child_process.h"

namespace guts::testing {
namespace {

// A --validators file naming v1..vN by their sim addresses in `range`.
std::string ValidatorsFile(int nodes, int range) {
  std::string path = absl::StrCat(FreshTempDir(absl::StrCat("validators-", range)), "/v.yaml");
  std::ofstream out(path);
  out << "validators:\n";
  for (int i = 1; i <= nodes; ++i) {
    out << "  - name: v" << i << "\n    p2p_addr: 127." << range << ".0." << i
        << ":9000\n    organisation: " << (i <= 4 ? "ours" : "partner") << "\n";
  }
  return path;
}

const std::vector<std::string> kSimplex = {"--mode", "simplex"};

TEST(SimplexScenario, S03FourThreeSplitOfSevenVotesHaltsBothSides) {
  Scenario sc{.id = "S03",
              .faults = {{"partition", "v1,v2,v3,v4|v5,v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::PARTITION_NO_QUORUM,
              .severity = v1::P1,
              .groups = {V(1, 4), V(5, 7)},
              .summary_contains = "quorum 5 of 7 votes",
              .sim_args = kSimplex};
  RunScenario(sc, 203);
}

TEST(SimplexScenario, S25AgentsOnFourOfSevenSplitFromTheUnobservedThree) {
  Scenario sc{.id = "S25",
              .faults = {{"partition", "v1,v2,v3,v4|v5,v6,v7"}},
              .heals = {{"heal"}},
              .kind = v1::PARTITION_NO_QUORUM,
              .severity = v1::P1,
              .groups = {V(1, 4), V(5, 7)},
              .collector_args = {"--validators", ValidatorsFile(7, 225)},
              .summary_contains = "quorum 5 of 7 votes",
              .sim_args = kSimplex,
              .agents_on = V(1, 4)};
  RunScenario(sc, 225);
}

TEST(SimplexScenario, S26UnobservedValidatorCutFromEveryPeer) {
  Scenario sc{.id = "S26",
              .faults = {{"isolate", "v7"}},
              .heals = {{"heal"}},
              .kind = v1::VALIDATOR_UNREACHABLE,
              .severity = v1::P2,
              .names = {"v7"},
              .detect_budget = absl::Seconds(15),
              .collector_args = {"--validators", ValidatorsFile(7, 226)},
              .summary_contains = "down or cut off cannot be told apart",
              .sim_args = kSimplex,
              .agents_on = V(1, 5)};
  RunScenario(sc, 226);
}

TEST(SimplexScenario, S27AllowedPeersLackingAPeerIsDrift) {
  Scenario sc{.id = "S27",
              .faults = {{"disallow", "v3", "v6"}},
              .heals = {{"allow", "v3", "v6"}},
              .kind = v1::VALIDATOR_SET_DRIFT,
              .severity = v1::P2,
              .names = {"v3", "v6"},
              .detect_budget = absl::Seconds(30),
              .summary_contains = "v3 lacks v6",
              .sim_args = kSimplex};
  RunScenario(sc, 227);
}

TEST(SimplexScenario, S28DeadConsensusThreadNamesTheCause) {
  Scenario sc{.id = "S28",
              .faults = {{"engine-fail", "v2"}},
              .heals = {{"restart", "v2"}},
              .kind = v1::CONSENSUS_ENGINE_FAILED,
              .severity = v1::P2,
              .names = {"v2"},
              .summary_contains = "consensus engine stopped on v2",
              .sim_args = kSimplex};
  RunScenario(sc, 228);
}

}  // namespace
}  // namespace guts::testing
