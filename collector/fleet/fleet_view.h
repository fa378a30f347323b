// FleetView: a consistent, read-only picture of what the collector knows about every node at
// one instant. The fleet state (collector/fleet/) produces it; the analysis
// (collector/analysis/) and the queries consume it. It holds no locks and no references into
// live state: the parsed snapshots and the sample windows, the large parts, are immutable once
// made and shared with the fleet state (a newer one replaces the pointer there), so a view
// costs a few pointer copies per node instead of a deep copy (issue 21).
//
// Example:
//   FleetView view = fleet_state.View(absl::Now());
//   AnalysisResult result = analyzer.Tick(view);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {

// Compact figures of one received snapshot, kept in a short per-node window. Plain figures (no
// strings), so a window is one allocation and copies as one block.
struct SnapshotSample {
  absl::Time received;  // collector clock
  absl::Time taken;     // agent clock (Snapshot.taken_unix_ms)
  uint64_t seq = 0;
  uint64_t height = 0;  // ConsensusView.finalized_height
  uint64_t view = 0;    // ConsensusView.view
};

// One PeerView of a snapshot, reduced to what the analysis reads.
struct PeerSession {
  uint64_t remote = 0;  // AddressKey(remote_addr), collector/fleet/peer_address.h
  uint32_t last_data_recv_age_ms = 0;
  bool inbound = false;  // PEER_DIRECTION_INBOUND
};

// A snapshot's peers and reachable probes as integer address keys, made once per snapshot at
// ingest (CompactPeersOf) so the analysis tick does not walk every PeerView message. Not valid
// when the snapshot has addresses without a key (IPv6, names): the analysis then reads the
// snapshot.
struct CompactPeers {
  bool valid = false;
  uint64_t seq = 0;  // Snapshot.seq it was made from
  // The snapshot it was made from (CompactPeersOf(shared_ptr)); null when made from a bare
  // message. PeersCurrent compares it with NodeObservation::latest: see SnapshotFigures::source.
  std::shared_ptr<const guts::diag::v1::Snapshot> source;
  std::vector<PeerSession> sessions;  // in PeerView order
  // SessionsHash(sessions) (peer_address.h): with the count, what the analysis compares to the
  // sessions it resolved last, instead of reading a remembered copy of every session's key.
  uint64_t sessions_hash = 0;
  std::vector<uint64_t> reachable;  // keys of the probes that connected, in probe order
  // ReachableHash(reachable) (peer_address.h): the analysis compares this to the last
  // snapshot's instead of the ~100 keys of a fleet whose agents probe every validator.
  uint64_t reachable_hash = 0;
};

// The few figures of a snapshot the analysis reads for every node on every tick, copied out of
// the snapshot's separately allocated parts (consensus, health, log, system, metrics,
// validators) once at ingest (SnapshotFiguresOf, collector/fleet/snapshot_figures.h), so the
// tick reads one contiguous struct per node instead of six messages. Not valid in hand-built
// views: the analysis then reads the snapshot.
struct SnapshotFigures {
  // Read first (whether they are current, the validator list to use, the node's facts), so
  // kept together at the front.
  bool valid = false;
  // A source error named "p2p_sockets": the snapshot's peers say nothing.
  bool peer_source_failed = false;
  bool api_reachable = false;  // NodeHealth.reachable
  uint32_t interval_ms = 0;
  uint64_t seq = 0;  // Snapshot.seq it was made from
  // The snapshot these were made from (SnapshotFiguresOf(shared_ptr)); null when made from a
  // bare message. FiguresCurrent compares it with NodeObservation::latest, pointer to pointer,
  // so the tick decides whether the figures are current without reading the snapshot message
  // (a separate allocation of three to four cache lines a node, fetched for its seq alone).
  // Held, not just its address: while the figures refer to a snapshot it cannot be freed, so a
  // later snapshot cannot take its address and pass for it. A snapshot is never edited once
  // shared (MutableLatest makes a new one), so the same object means the same content.
  std::shared_ptr<const guts::diag::v1::Snapshot> source;
  // ValidatorSet: how many validators it lists, and its epoch.
  int validators = 0;
  uint64_t validators_epoch = 0;
  // ConsensusView. A height is known when the view says where it came from (or is not 0): a
  // snapshot whose node API read failed (a busy host, the agent paused mid-read) and whose log
  // had no height carries 0, which is no height at all.
  uint64_t finalized_height = 0;
  bool height_known = false;
  uint64_t view = 0;
  // The newest finalized block id known and its height: ConsensusView.last_block_id at the
  // finalized height, else the node log's last "finalized block" line.
  uint64_t block_height = 0;
  std::string block_id;
  // NodeHealth, SystemFacts and LogFacts for restarts and the runbook's thresholds.
  uint64_t uptime_seconds = 0;
  uint32_t node_restarts = 0;
  bool config_fallback = false;
  uint64_t corruption_lines = 0;
  uint64_t disk_total_bytes = 0;
  uint64_t disk_available_bytes = 0;
  uint64_t cgroup_memory_max_bytes = 0;
  uint64_t cgroup_memory_current_bytes = 0;
  uint64_t node_rss_bytes = 0;
  // NodeMetrics.
  double http_5xx_ratio = 0;
  double http_p99_seconds = 0;
  // Simplex: the consensus mode the agent observed, the highest proposed view (from
  // `proposed new block`), the consensus thread's death, the node's own public key (config,
  // else log) and its participant set (config) as a count and an order-free hash of the keys.
  guts::diag::v1::ConsensusMode mode = guts::diag::v1::CONSENSUS_MODE_UNSPECIFIED;
  uint64_t proposed_view = 0;
  bool engine_failed = false;
  int participants = 0;
  uint64_t participants_hash = 0;
  std::string public_key;
  // std::hash of public_key: the tick fingerprints every Simplex node's identity facts to see
  // whether the address book still holds; hashing 10 000 keys there cost 1.5 ms a tick.
  uint64_t public_key_hash = 0;
};

// The newest two samples of a samples window, copied into the observation beside the window's
// pointer, so the tick reads what arrived since the last one (one sample a tick, usually) from
// the observation's own lines instead of following window pointer -> vector -> its last
// elements: that chain's stall was half the model build's own time (issue 21). Made by
// SamplesTailOf when the fleet state stores a window; used only when made from the node's
// window itself (TailCurrent), so hand-built views that edit the window without it stay right.
struct SamplesTail {
  // The window it was made from. Held, not just its address, as SnapshotFigures::source: while
  // the tail refers to a window it cannot be freed, so a later window cannot take its address
  // and pass for it. Windows are never edited once shared (MutableSamples makes a new one).
  std::shared_ptr<const std::vector<SnapshotSample>> source;
  size_t size = 0;  // source->size()
  // The window's last min(size, 2) samples, newest last: last[1] is the newest, last[0] the one
  // before it (when size >= 2).
  SnapshotSample last[2];
};

// Everything known about one node.
struct NodeObservation {
  std::string node_id;
  // Latest Hello of the node's agent (p2p_addr, role, labels, versions); null before the first
  // (HelloOf reads an empty one then). Shared and never changed, like `latest`: a new Hello
  // replaces the pointer. A copy in every view was 40 000 allocations and ~5 MB a tick at
  // 10 000 nodes, made under the fleet state's lock.
  std::shared_ptr<const guts::diag::v1::Hello> hello;
  // Latest snapshot; null until the first one arrives (LatestOf reads an empty one then).
  // Shared with the fleet state and every other view, and never changed: a newer snapshot
  // replaces the pointer.
  std::shared_ptr<const guts::diag::v1::Snapshot> latest;
  // CompactPeersOf(latest), set together with `latest` by the fleet state. Hand-built views
  // may leave it invalid; the analysis uses it only when valid and made from `latest` itself
  // (PeersCurrent, collector/fleet/peer_address.h).
  CompactPeers latest_peers;
  // SnapshotFiguresOf(latest), likewise; used only when FiguresCurrent
  // (collector/fleet/snapshot_figures.h).
  SnapshotFigures latest_figures;
  // Collector clock: when `latest` arrived, and when the node was first seen.
  absl::Time last_received = absl::InfinitePast();
  absl::Time first_seen = absl::InfinitePast();
  // Whether the agent's Connect stream is open now, and when it last changed.
  bool connected = false;
  absl::Time connection_changed = absl::InfinitePast();
  // Recent snapshots, oldest first (bounded; about the last 2 minutes at 1 Hz); null before the
  // first (SamplesOf reads an empty window then). Arrival times in `received` feed the
  // phi-accrual liveness detector. Shared and never changed, like `latest`: a new sample makes
  // a new window.
  std::shared_ptr<const std::vector<SnapshotSample>> samples;
  // SamplesTailOf(samples), set together with `samples` by the fleet state; read only when
  // TailCurrent.
  SamplesTail samples_tail;
};

// The node's latest Hello, or an empty one before the first.
inline const guts::diag::v1::Hello& HelloOf(const NodeObservation& node) {
  return node.hello != nullptr ? *node.hello : guts::diag::v1::Hello::default_instance();
}

// A Hello for a hand-built view (tests, benchmarks) to edit: a copy of the node's, which
// replaces it, so that no other view sharing the old one sees the edit.
inline guts::diag::v1::Hello& MutableHello(NodeObservation& node) {
  auto copy = std::make_shared<guts::diag::v1::Hello>(HelloOf(node));
  node.hello = copy;
  return *copy;
}

// The node's latest snapshot, or an empty one (every field 0 or empty) before the first.
inline const guts::diag::v1::Snapshot& LatestOf(const NodeObservation& node) {
  return node.latest != nullptr ? *node.latest : guts::diag::v1::Snapshot::default_instance();
}

// The node's samples, oldest first; empty before the first.
inline const std::vector<SnapshotSample>& SamplesOf(const NodeObservation& node) {
  static const std::vector<SnapshotSample>* const kNone = new std::vector<SnapshotSample>();
  return node.samples != nullptr ? *node.samples : *kNone;
}

// The tail of `window` (null: an empty window).
inline SamplesTail SamplesTailOf(std::shared_ptr<const std::vector<SnapshotSample>> window) {
  SamplesTail tail;
  if (window != nullptr) {
    tail.size = window->size();
    for (size_t k = tail.size < 2 ? 2 - tail.size : 0; k < 2; ++k) {
      tail.last[k] = (*window)[tail.size - 2 + k];
    }
  }
  tail.source = std::move(window);
  return tail;
}

// Whether the node's samples_tail was made from its samples window (a default tail stands for a
// null window: no samples). Reads only the two pointers, not the window.
inline bool TailCurrent(const NodeObservation& node) {
  return node.samples_tail.source == node.samples;
}

// For views built by hand (tests, benchmarks): gives `node` its own copy of its latest
// snapshot (an empty one before the first) and returns it to edit. The copy leaves any other
// holder of the old snapshot as it was; the collector itself never edits a stored snapshot.
// The reference (and pointers into it) last until the node's snapshot is replaced, by the next
// MutableLatest(node) too: take it once for a series of edits.
inline guts::diag::v1::Snapshot& MutableLatest(NodeObservation& node) {
  auto copy = std::make_shared<guts::diag::v1::Snapshot>(LatestOf(node));
  guts::diag::v1::Snapshot& edit = *copy;
  node.latest = std::move(copy);
  return edit;
}

// Likewise for the samples window. The node's samples_tail is then stale (TailCurrent says so)
// until set again: samples_tail = SamplesTailOf(samples), as the fleet state does.
inline std::vector<SnapshotSample>& MutableSamples(NodeObservation& node) {
  auto copy = std::make_shared<std::vector<SnapshotSample>>(SamplesOf(node));
  std::vector<SnapshotSample>& edit = *copy;
  node.samples = std::move(copy);
  return edit;
}

// The collector's own health, so the analysis can hold back "node silent" verdicts when the
// silence is the collector's fault.
struct CollectorHealth {
  // How far behind ingest runs: age of the oldest received-but-unprocessed snapshot.
  absl::Duration ingest_lag = absl::ZeroDuration();
  // Set when ingest lag or queue depth crossed the overload threshold.
  bool overloaded = false;
  absl::Time started = absl::InfinitePast();
  // The collector's own clock stood still: the newest analysis tick that ran more than a whole
  // tick late (its process or host starved of CPU), by how much, and when it finally ran.
  absl::Duration pause = absl::ZeroDuration();
  absl::Time pause_ended = absl::InfinitePast();
};

struct FleetView {
  absl::Time now;                      // collector clock at the moment of the copy
  std::vector<NodeObservation> nodes;  // sorted by node_id
  CollectorHealth collector;
  // Names the set of nodes, their ids and their Hellos as the fleet state held them: it takes a
  // new generation (NewIdentityGeneration) whenever it adds or forgets a node or stores a
  // Hello, so two views with the same generation hold the same nodes in the same order with the
  // same Hellos. The analysis then keeps what it derived from them (the nodes' stable numbers,
  // their id order, the address book, the validator roles) instead of comparing every node's id
  // and P2P address on every tick (a twentieth of a 10 000-node tick). 0: not known (views
  // built by hand), compared node by node. A view edited after View() must not keep it.
  uint64_t identity_generation = 0;
};

// A new identity generation, never 0 and never handed out before in this process: no two fleet
// states (nor a fleet state and a view made by hand) share one.
uint64_t NewIdentityGeneration();

}  // namespace guts::collector
