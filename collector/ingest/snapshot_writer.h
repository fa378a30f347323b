// SnapshotWriter: the one thread that turns received snapshots into RocksDB write batches and
// only then acknowledges them on the stream they came from.
//
// Reactors hand snapshots over with Submit(), which never blocks: when the bounded queue is
// full it answers RESOURCE_EXHAUSTED and the reactor closes the stream so the agent backs off.
// The writer drops replays (seq at or below the node's last stored seq) but still acks them.
//
// Example:
//   SnapshotWriter writer(store, fleet, metrics, {});
//   writer.Start();
//   writer.Submit({.snapshot = s, .received = absl::Now(), .ack = stream});
//   ...
//   writer.Stop();  // writes what is queued, then returns
//
// Thread-safe: Submit, SubmitHello, LastStoredSeq and Health may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/fleet/fleet_state.h"
#include "collector/fleet/fleet_view.h"
#include "collector/http/metrics.h"
#include "collector/store/store.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

// Where the writer reports that every snapshot up to `seq` of one stream is stored.
class AckSink {
 public:
  virtual ~AckSink() = default;
  // Called on the writer thread; must not block.
  virtual void Acked(uint64_t seq) = 0;
};

struct PendingSnapshot {
  guts::diag::v1::Snapshot snapshot;
  size_t bytes = 0;  // its encoded size, counted against the queue's byte bound
  absl::Time received;
  std::shared_ptr<AckSink> ack;  // may be null (no one to tell)
};

struct WriterOptions {
  // Snapshots waiting at most; beyond, Submit refuses.
  size_t max_queue = 200000;
  // Bytes of snapshots waiting at most (their encoded size); beyond, Submit refuses.
  size_t max_queue_bytes = 256u << 20;
  // Snapshots per write batch at most.
  size_t max_batch = 4096;
  // Group commit: when a snapshot arrives at a writer that had nothing to do, the writer waits
  // up to this long for others to join its batch (or until `linger_batch` are waiting). Each batch
  // costs a thread wake-up, a RocksDB write and an ack pass whatever its size; at 1 000 agents
  // sending once a second batches of one spent about a third of the collector's CPU on waking the
  // writer. The linger adds at most this to an ack and to the fleet state's view. Zero: write at
  // once.
  absl::Duration batch_linger = absl::Milliseconds(5);
  size_t linger_batch = 256;
  // Lag beyond which the collector calls itself overloaded.
  absl::Duration overload_lag = absl::Seconds(2);
};

class SnapshotWriter {
 public:
  // `store`, `fleet` and `metrics` must outlive the writer.
  SnapshotWriter(Store* store, FleetState* fleet, CollectorMetrics* metrics, WriterOptions options);
  ~SnapshotWriter();  // Stops if running.
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Loads each node's last stored seq and loss totals (counted on /metrics) and starts the
  // writer thread. The store's error when they cannot be read.
  absl::Status Start();
  // Writes everything queued, then joins the thread. Idempotent.
  void Stop();

  // Queues one snapshot. RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE after Stop().
  absl::Status Submit(PendingSnapshot pending);
  // Queues a Hello to store with the next batch.
  void SubmitHello(const guts::diag::v1::Hello& hello);

  // Sets the node's stored mark back to `seq`: later snapshots above it are stored, not taken
  // for replays (its agent was reset, or a hostile seq poisoned the mark).
  void RebaseNode(const std::string& node_id, uint64_t seq);

  // What is durably stored of a node: its highest seq (0 when none), and the latest arrival
  // among its stored snapshots (InfinitePast when none; a replay after a reconnect stores older
  // arrivals later), across restarts of the collector: the start of its silence, for the ingest
  // rate limit and the seq jump check.
  struct StoredMark {
    uint64_t seq = 0;
    absl::Time received = absl::InfinitePast();
  };
  StoredMark LastStored(const std::string& node_id) const;
  // LastStored(node_id).seq.
  uint64_t LastStoredSeq(const std::string& node_id) const { return LastStored(node_id).seq; }

  // History the node is known to have lost, since it first reported (the totals are stored
  // with its snapshots, so they survive restarts of the collector).
  guts::diag::v1::SnapshotLoss LossOf(const std::string& node_id) const;

  // Since when writes to the store fail (InfiniteFuture while they succeed).
  absl::Time StoreFailingSince() const;

  // Ingest lag and overload, for the FleetView and /metrics.
  CollectorHealth Health(absl::Time now) const;
  // Snapshots written per second, smoothed over about ten seconds.
  double SnapshotsPerSecond() const;

 private:
  void Run();
  void WriteBatch(std::vector<PendingSnapshot>& batch, std::vector<guts::diag::v1::Hello>& hellos);

  Store* const store_;
  FleetState* const fleet_;
  CollectorMetrics* const metrics_;
  const WriterOptions options_;
  const absl::Time started_;

  mutable absl::Mutex mu_;
  std::deque<PendingSnapshot> queue_ ABSL_GUARDED_BY(mu_);
  size_t queue_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time store_failing_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // Oldest receive time in the batch being written (InfiniteFuture: none); counts in the lag.
  absl::Time writing_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::vector<guts::diag::v1::Hello> hellos_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Each node's stored mark and what the writer carries for it, looked up once per snapshot.
  // Node-based: WriteBatch keeps pointers to a batch's nodes while others are added.
  struct NodeMark {
    StoredMark stored;
    // The batch (WriteBatch call) that last touched the node, and the mark it will store.
    uint64_t batch = 0;
    StoredMark pending;
    // The fleet state's first_seen of the node once it has one (it never changes after);
    // InfinitePast until then.
    absl::Time first_seen = absl::InfinitePast();
  };
  absl::node_hash_map<std::string, NodeMark> last_stored_ ABSL_GUARDED_BY(mu_);
  uint64_t batches_ ABSL_GUARDED_BY(mu_) = 0;  // WriteBatch calls so far
  std::map<std::string, guts::diag::v1::SnapshotLoss> loss_ ABSL_GUARDED_BY(mu_);
  double rate_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time rate_at_ ABSL_GUARDED_BY(mu_);
  uint64_t rate_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace guts::collector
