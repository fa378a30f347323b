// FleetModel: what one tick derives from a FleetView before any detector runs: peer identities
// resolved to node indices, who hears whom, validator weights, liveness (phi accrual) and
// heights. Detectors read it; nothing writes it after BuildFleetModel().
//
// Example:
//   FleetModel model = BuildFleetModel(view, config);
//   for (const NodeFacts& n : model.nodes) if (n.silent) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "collector/analysis/analyzer.h"
#include "collector/analysis/collector_blindness.h"
#include "collector/analysis/liveness.h"
#include "collector/analysis/validator_set.h"
#include "collector/fleet/fleet_view.h"

namespace guts::collector {

// Detectors visit the facts of each node's peers, in no order: what those visits read (number,
// flags, hears, sessions) fills the first cache line, so a visit costs one line, not four
// (at 10 000 nodes the per-peer visits were a third of the tick).
struct alignas(64) NodeFacts {
  // Stable across ticks (AnalysisHistory::numbers); the index otherwise.
  uint32_t number = 0;
  bool has_snapshot = false;
  // Phi accrual over snapshot arrivals; silent when phi >= config.phi_threshold.
  bool silent = false;
  // Reporting: a snapshot arrived and the node is not silent.
  bool reporting = false;
  // Reporting, but the node's API did not answer and the agent's working peer source finds no
  // peer heard: the node process itself is gone while its agent still reports. A peer source
  // cut off at its deadline is no evidence either way.
  bool process_down = false;
  // Reporting with its process running: a peer others could hear. A peer that is not up
  // explains a node hearing fewer peers.
  bool Up() const { return reporting && !process_down; }
  // The p2p_sockets source worked, so `hears` is meaningful.
  bool has_peer_data = false;
  bool validator = false;
  // A snapshot whose figures are near no runbook threshold: no disk, memory or API figure over
  // its line (runbook_figures.h), no config fallback and no corruption line. The runbook
  // thresholds detector reads such a node's figures not at all (three cold lines a node); set
  // by the model build from the lines its passes read anyway.
  bool runbook_clear = false;
  // The figures' engine_failed and participants, copied by the model build's first pass from
  // the figure line it reads for `mode`: the engine-failure and drift detectors and
  // ExpectedPeers read them here, in order, instead of one cold figure line a node. False and 0
  // without a snapshot.
  bool engine_failed = false;
  int participants = 0;
  // Indices of nodes this node received data from within peer_heard_within (sorted, unique).
  std::vector<int> hears;
  // Indices of nodes this node has any session with (sorted, unique), and the smallest
  // last_data_recv age over the sessions with each.
  std::vector<int> sessions;
  std::vector<uint32_t> session_age_ms;
  const NodeObservation* observation = nullptr;
  const std::string* id = nullptr;
  // The latest snapshot's figures: the view's own (made at ingest) when current, else made for
  // this model from the snapshot (FleetModel::made_figures). Null without a snapshot. Read
  // these rather than observation->latest: the snapshot's parts are cold, scattered messages.
  const SnapshotFigures* figures = nullptr;
  // What phi is computed from (ArrivalWindow::Terms); Phi() computes it where it is shown.
  PhiTerms phi_terms;
  double Phi() const { return PhiOf(phi_terms); }
  // ArrivalWindow::ClockOffset() of the node's samples (InfiniteDuration() without samples).
  absl::Duration clock_offset = absl::InfiniteDuration();
  absl::Duration silence = absl::ZeroDuration();  // now - last_received
  // When the latest snapshot was taken, on the collector's clock (its take time less the clock
  // offset; last_received when that is unknown): the instant its session ages count from.
  absl::Time taken = absl::InfinitePast();
  absl::Duration interval = absl::Seconds(1);
  // The agent's stream closed after its latest snapshot: the agent is gone, not late. With no
  // peer hearing the node either, the node is down without waiting for phi.
  bool stream_closed = false;
  // The observation's `connected` and the figures' api_reachable, copied with what
  // UpdateHistory reads below: it then reads each node's facts and history only.
  bool connected = false;
  bool api_reachable = false;
  // The snapshot carries a height (SnapshotFigures::height_known): 0 from a failed API read is
  // unknown, not a node at genesis far behind its peers.
  bool height_known = false;
  uint64_t weight = 0;
  uint64_t height = 0;
  // The figures' participants_hash, with `participants` above (0 without a snapshot).
  uint64_t participants_hash = 0;
  uint64_t view = 0;
  // A finalized block id and its height: ConsensusView.last_block_id at the finalized height,
  // else the node log's last "finalized block" line (API mode carries no block id).
  // Points into `figures` (block ids are long hashes; no copy per node and tick).
  std::string_view block_id;
  uint64_t block_height = 0;
  // Indices of nodes whose P2P port this node's agent could connect to (sorted, unique).
  std::vector<int> reachable;
  // Reporting nodes with peer data that hear this node.
  int heard_by = 0;
  // The figures' restart and corruption counts and the observation's connection_changed, for
  // UpdateHistory's restart and corruption notes (a figure line and an observation line a
  // node otherwise, cold by then; the model build reads those lines anyway).
  uint32_t node_restarts = 0;
  uint64_t uptime_seconds = 0;
  uint64_t corruption_lines = 0;
  absl::Time connection_changed = absl::InfinitePast();
};
static_assert(offsetof(NodeFacts, sessions) + sizeof(std::vector<int>) <= 64,
              "what a peer's visit reads stays in the first cache line");
static_assert(sizeof(NodeFacts) == 320, "the facts UpdateHistory reads add no line");
static_assert(offsetof(NodeFacts, participants) + sizeof(int) <= 64,
              "what the engine, drift and expected-peer passes read first is in the first line");

// A validator without an agent, as the observed nodes see it. "Observers" are the reporting
// nodes with peer data: the ones that could have heard it.
struct UnobservedValidator {
  const ValidatorEntry* entry = nullptr;  // in FleetModel::validator_set
  // Observers whose session with it received data within peer_heard_within, observers with
  // any session with it, and nodes whose probe connected to its address (each sorted).
  std::vector<int> heard_by;
  std::vector<int> sessions_by;
  std::vector<uint32_t> session_age_ms;  // the smallest age over each sessions_by node's
  std::vector<int> reached_by;
};

struct FleetModel {
  absl::Time now;
  std::vector<NodeFacts> nodes;  // same order as view.nodes
  // Node indices in id order (stable: equal ids keep view order), and the position of each
  // node in it, so lists of nodes sort by name without comparing strings. FleetView promises id
  // order, which makes both the identity; hand-built views may not keep it.
  std::vector<int> by_id;
  std::vector<uint32_t> rank;
  // Where the validators come from, and the mode whose quorum rule applies.
  std::shared_ptr<const ValidatorSet> validator_set;
  guts::diag::v1::ConsensusMode mode = guts::diag::v1::CONSENSUS_MODE_SIMULATION;
  std::vector<UnobservedValidator> unobserved;
  // Reporting nodes with peer data (whose sessions say who they hear).
  std::vector<int> observers;
  // Nodes (in index order) that hear a peer whose latest data is older than live_quiet_longest:
  // an end of every heard link that is aging. Empty, no link can be a cut still crossing the
  // window, and a split need not look for one (SplitSettling read every node's sessions for
  // that: a tenth of a split 10 000-node tick).
  std::vector<int> quiet_heard;
  // Total weight counts unobserved validators too.
  uint64_t total_weight = 0;
  uint64_t quorum_weight = 0;
  uint64_t max_height = 0;
  uint64_t max_view = 0;
  // Highest height that reporting nodes holding the quorum weight have reached (0 if none).
  uint64_t quorum_height = 0;
  int reporting = 0;
  // Whether silence says anything about the nodes this tick (collector_blindness.h).
  CollectorBlindness blindness;
  // The longest quiet a live link shows: half of peer_heard_within, longer than the gap
  // between messages on a live link, shorter than any silence that counts as a cut. A heard
  // link quiet longer than this is aging (a cut may be crossing the window).
  absl::Duration live_quiet_longest = absl::Seconds(1);
  // A one-way link is proven when the hearing end received from its peer at least this long
  // after the deaf end last did (peer_graph.h): live_quiet_longest, but never less than
  // config.host_noise. The two receipts come from two agents' readings, each of which a busy
  // host may delay; in a compressed run the scaled half window (0.1-0.2 s) is within that
  // noise, and a two-way cut read late at one end looked one-way (S01's soak at scale 0.14).
  absl::Duration one_way_margin = absl::Seconds(1);
  // Figures made during the build for nodes whose view carries none current (hand-built
  // views); NodeFacts::figures points into them, so the model is moved, never copied.
  std::vector<std::unique_ptr<SnapshotFigures>> made_figures;
  // Which build of its ModelMemory this model is (1, 2, ...; 1 for a model from scratch), so that
  // what is kept between ticks can tell it saw the model just before this one.
  uint64_t build = 0;
  // Whether `hears_changed` compares with the memory's previous model (build - 1): that model was
  // recycled into this one and held the same nodes at the same indices (the same stable numbers
  // in the same order), so equal index lists are equal sets of nodes.
  bool hears_tracked = false;
  // Changes (within one ModelMemory) exactly when this model does not hold the same nodes at the
  // same indices as the memory's previous model (!hears_tracked); so within one epoch a model
  // index names one node (one id). 0 for a model from scratch: no epoch.
  uint64_t index_epoch = 0;
  // By index: the node's `hears` differs from the previous model's, or that is not known (every
  // entry 1 when !hears_tracked). Most nodes hear the same peers from one tick to the next; the
  // peer graph (PeerGraphMemory) and the link history redo only the nodes whose list changed.
  std::vector<char> hears_changed;

  // Whether this model follows the one a user of `hears_changed` kept state for: that model was
  // build `last_build` (0: none) of the same memory, with `last_size` nodes, and this one is its
  // successor with `hears` tracked against it. Then a node whose hears_changed entry is 0 hears
  // what it heard in that model, at the same index.
  bool Follows(uint64_t last_build, size_t last_size) const {
    return hears_tracked && last_build != 0 && build == last_build + 1 && nodes.size() == last_size;
  }

  bool Hears(int u, int v) const;
  // How long before its snapshot `u` last received from `v` (the smallest age of their
  // sessions); nullopt when `u` has no session with `v`.
  std::optional<absl::Duration> ReceiveAge(int u, int v) const;
  // When `u` last received from `v`, on the collector's clock: its snapshot's take time less
  // the session's age; the take time itself when it has no session with `v` (it may have
  // closed just before).
  absl::Time LastReceived(int u, int v) const;
  // Index of the (first) node with this id, or -1.
  int Find(std::string_view id) const;
};

// What BuildFleetModel keeps between ticks so that a tick reads only what changed: each node's
// arrival window and what its peer sessions and probes resolved to, by stable node number, and
// the book of P2P addresses, reused while neither a node's id or P2P address nor the validator
// list changed. Owned by the analyzer; not
// thread-safe.
class ModelMemory {
 public:
  ModelMemory();
  ~ModelMemory();
  ModelMemory(ModelMemory&&) noexcept;
  ModelMemory& operator=(ModelMemory&&) noexcept;

  // Takes back a model built with this memory once the tick is done with it: the next build
  // reuses its per-node facts and their lists' storage (allocating and freeing the lists of
  // every node on every tick was a tenth of a 10 000-node tick).
  void Recycle(FleetModel&& model);

 private:
  friend FleetModel BuildFleetModel(const FleetView& view, const AnalysisConfig& config,
                                    const std::vector<uint32_t>& numbers, ModelMemory& memory);
  struct AddressBook;
  struct ResolvedPeers;
  std::vector<ArrivalWindow> arrivals_;
  std::unique_ptr<AddressBook> book_;
  // What each node's sessions and probes resolved to, by stable node number.
  std::vector<ResolvedPeers> resolved_;
  std::vector<NodeFacts> spare_nodes_;
  // The same model's unobserved validators: their lists' storage, and their `reached_by`, which
  // the next build keeps when every node's probes resolved as they did then.
  std::vector<UnobservedValidator> spare_unobserved_;
  uint64_t builds_ = 0;       // models built with this memory
  uint64_t spare_build_ = 0;  // FleetModel::build of spare_nodes_' model; 0: none
  uint64_t last_book_ = 0;    // AddressBook::generation the last build resolved against
  // FleetModel::index_epoch of the last build.
  uint64_t index_epochs_ = 0;
};

// From scratch (no memory; node numbers are the indices).
FleetModel BuildFleetModel(const FleetView& view, const AnalysisConfig& config);
// With the analyzer's memory: `numbers[i]` is view.nodes[i]'s stable number (NumberNodes). The
// model equals a from-scratch one.
FleetModel BuildFleetModel(const FleetView& view, const AnalysisConfig& config,
                           const std::vector<uint32_t>& numbers, ModelMemory& memory);

// `nodes` (node indices) in rank (name) order by `rank` (FleetModel::rank): `nodes` itself when
// it already is, as a peer-graph component of a view in id order is, else a sorted copy made
// in `scratch`. Sorting thousands of indices on every tick cost more than checking the order.
const std::vector<int>& InRankOrder(const std::vector<int>& nodes,
                                    const std::vector<uint32_t>& rank, std::vector<int>& scratch);

}  // namespace guts::collector
