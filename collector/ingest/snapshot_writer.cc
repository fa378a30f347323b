#include "collector/ingest/snapshot_writer.h"

#include <pthread.h>

#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

// The store's room of loss totals: node id -> SnapshotLoss, written with the snapshots.
constexpr char kLossRoom[] = "snapshot_loss";

}  // namespace

using guts::diag::v1::Hello;

SnapshotWriter::SnapshotWriter(Store* store, FleetState* fleet, CollectorMetrics* metrics,
                               WriterOptions options)
    : store_(store),
      fleet_(fleet),
      metrics_(metrics),
      options_(options),
      started_(absl::Now()),
      rate_at_(absl::Now()) {}

SnapshotWriter::~SnapshotWriter() { Stop(); }

absl::Status SnapshotWriter::Start() {
  absl::StatusOr<std::vector<LatestNode>> latest = store_->LatestAll();
  if (!latest.ok()) return latest.status();
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> losses =
      store_->Records(kLossRoom);
  if (!losses.ok()) return losses.status();
  absl::MutexLock lock(&mu_);
  for (const LatestNode& n : *latest) {
    if (!n.snapshot) continue;
    last_stored_[n.node_id].stored = {.seq = n.snapshot->seq(), .received = n.received};
  }
  // Loss totals survive restarts: they count on from what is stored, on /metrics too.
  for (const auto& [node, bytes] : *losses) {
    guts::diag::v1::SnapshotLoss loss;
    if (!loss.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("unparsable loss totals of ", node));
    }
    metrics_->CountLoss(node, loss.spool_dropped(), loss.seq_gaps(), loss.seqs_missing());
    loss_[node] = std::move(loss);
  }
  running_ = true;
  thread_ = std::thread([this] {
    // Named, so that `top -H` (and the S24 scenario, which starves it) can tell it apart.
    pthread_setname_np(pthread_self(), "ingest:writer");
    Run();
  });
  return absl::OkStatus();
}

void SnapshotWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stopping_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

absl::Status SnapshotWriter::Submit(PendingSnapshot pending) {
  absl::MutexLock lock(&mu_);
  if (!running_ || stopping_) return absl::UnavailableError("collector is shutting down");
  if (queue_.size() >= options_.max_queue ||
      (!queue_.empty() && queue_bytes_ + pending.bytes > options_.max_queue_bytes)) {
    return absl::ResourceExhaustedError(absl::StrCat("collector overloaded: ", queue_.size(),
                                                     " snapshots (", queue_bytes_,
                                                     " bytes) waiting for the store; retry later"));
  }
  queue_bytes_ += pending.bytes;
  queue_.push_back(std::move(pending));
  return absl::OkStatus();
}

void SnapshotWriter::SubmitHello(const Hello& hello) {
  absl::MutexLock lock(&mu_);
  hellos_.push_back(hello);
}

void SnapshotWriter::RebaseNode(const std::string& node_id, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  auto it = last_stored_.find(node_id);
  if (it != last_stored_.end()) it->second.stored.seq = std::min(it->second.stored.seq, seq);
}

SnapshotWriter::StoredMark SnapshotWriter::LastStored(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = last_stored_.find(node_id);
  return it == last_stored_.end() ? StoredMark{} : it->second.stored;
}

CollectorHealth SnapshotWriter::Health(absl::Time now) const {
  CollectorHealth health;
  health.started = started_;
  absl::MutexLock lock(&mu_);
  // A batch taken off the queue but not yet stored is still lag: a stalled write empties the
  // queue and stores nothing.
  absl::Time oldest = writing_since_;
  if (!queue_.empty()) oldest = std::min(oldest, queue_.front().received);
  if (oldest != absl::InfiniteFuture()) {
    health.ingest_lag = std::max(absl::ZeroDuration(), now - oldest);
  }
  health.overloaded = health.ingest_lag > options_.overload_lag ||
                      queue_.size() >= options_.max_queue / 2 ||
                      queue_bytes_ >= options_.max_queue_bytes / 2;
  return health;
}

guts::diag::v1::SnapshotLoss SnapshotWriter::LossOf(const std::string& node_id) const {
  absl::MutexLock lock(&mu_);
  auto it = loss_.find(node_id);
  return it == loss_.end() ? guts::diag::v1::SnapshotLoss() : it->second;
}

absl::Time SnapshotWriter::StoreFailingSince() const {
  absl::MutexLock lock(&mu_);
  return store_failing_since_;
}

double SnapshotWriter::SnapshotsPerSecond() const {
  absl::MutexLock lock(&mu_);
  return rate_;
}

void SnapshotWriter::Run() {
  std::vector<PendingSnapshot> batch;
  std::vector<Hello> hellos;
  bool written = false;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || !hellos_.empty() || stopping_;
      };
      // Only a writer that caught up lingers: one that is behind already gets the snapshots
      // that came during its last write as its next batch. Before its first write there is no
      // last write to be behind from: what queued while its thread started lingers too.
      const bool caught_up = queue_.empty() || !written;
      mu_.Await(absl::Condition(&has_work));
      if (queue_.empty() && hellos_.empty() && stopping_) return;
      auto batch_ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return queue_.size() >= options_.linger_batch || stopping_;
      };
      // Submit's unlock only evaluates the condition; it wakes no one until it holds.
      if (caught_up && options_.batch_linger > absl::ZeroDuration() && !batch_ready()) {
        mu_.AwaitWithTimeout(absl::Condition(&batch_ready), options_.batch_linger);
      }
      size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      for (size_t i = 0; i < n; ++i) {
        queue_bytes_ -= queue_.front().bytes;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      hellos.swap(hellos_);
      writing_since_ = batch.empty() ? absl::InfiniteFuture() : batch.front().received;
      metrics_->queue_depth.Set(static_cast<double>(queue_.size()));
      metrics_->ingest_lag_seconds.Set(
          queue_.empty() ? 0 : absl::ToDoubleSeconds(absl::Now() - queue_.front().received));
    }
    WriteBatch(batch, hellos);
    written = true;
    hellos.clear();
    absl::MutexLock lock(&mu_);
    writing_since_ = absl::InfiniteFuture();
  }
}

void SnapshotWriter::WriteBatch(std::vector<PendingSnapshot>& batch, std::vector<Hello>& hellos) {
  for (const Hello& hello : hellos) {
    absl::Status s = store_->PutHello(hello);
    if (!s.ok()) spdlog::error("storing hello of {}: {}", hello.node_id(), s.ToString());
  }
  // One ack per stream: the highest seq of it in this batch covers the ones before.
  absl::flat_hash_map<AckSink*, std::pair<std::shared_ptr<AckSink>, uint64_t>> acks;
  for (PendingSnapshot& p : batch) {
    if (p.ack == nullptr) continue;
    auto& [sink, seq] = acks[p.ack.get()];
    sink = std::move(p.ack);
    seq = std::max(seq, p.snapshot.seq());
  }
  std::vector<SnapshotRecord> records;
  records.reserve(batch.size());
  // The nodes this batch touches; each one's `pending` is its mark after the batch: its
  // highest seq, and its latest arrival stored.
  std::vector<NodeMark*> touched;
  // Records of nodes whose first_seen the writer does not know yet: asked of the fleet state.
  std::vector<std::pair<size_t, NodeMark*>> ask_first_seen;
  // The loss totals this batch changed, stored with it (so a restart neither forgets nor
  // double-counts them).
  std::vector<RoomRecord> loss_totals;
  std::set<std::string> loss_changed;
  {
    absl::MutexLock lock(&mu_);
    const uint64_t this_batch = ++batches_;
    for (PendingSnapshot& p : batch) {
      const std::string& node = p.snapshot.node_id();
      NodeMark& m = last_stored_[node];
      if (m.batch != this_batch) {
        m.batch = this_batch;
        m.pending = m.stored;
        touched.push_back(&m);
      }
      StoredMark& mark = m.pending;
      uint64_t& last = mark.seq;
      if (p.snapshot.seq() <= last) {
        metrics_->snapshots_duplicate.Increment();
        continue;
      }
      // Loss the collector can see: a hole before this seq, and what the spool dropped.
      const uint64_t missing =
          last > 0 && p.snapshot.seq() > last + 1 ? p.snapshot.seq() - last - 1 : 0;
      if (missing > 0 || p.snapshot.spool_dropped() > 0) {
        guts::diag::v1::SnapshotLoss& loss = loss_[node];
        loss.set_spool_dropped(loss.spool_dropped() + p.snapshot.spool_dropped());
        loss.set_seq_gaps(loss.seq_gaps() + (missing > 0 ? 1 : 0));
        loss.set_seqs_missing(loss.seqs_missing() + missing);
        metrics_->CountLoss(node, p.snapshot.spool_dropped(), missing > 0 ? 1 : 0, missing);
        loss_changed.insert(node);
      }
      last = p.snapshot.seq();
      mark.received = std::max(mark.received, p.received);
      if (m.first_seen == absl::InfinitePast()) ask_first_seen.emplace_back(records.size(), &m);
      records.push_back(SnapshotRecord{std::move(p.snapshot), p.received, m.first_seen});
    }
    for (const std::string& node : loss_changed) {
      loss_totals.push_back({kLossRoom, node, loss_[node].SerializeAsString()});
    }
  }
  // The fleet state's first_seen of a node, once set, never changes: asked once per node, the
  // answer kept in its mark (below, with the lock).
  std::vector<std::pair<NodeMark*, absl::Time>> learned_first_seen;
  for (const auto& [index, m] : ask_first_seen) {
    SnapshotRecord& r = records[index];
    const absl::Time known = fleet_->FirstSeen(r.snapshot.node_id(), absl::InfinitePast());
    r.first_seen = known == absl::InfinitePast() ? r.received : known;
    if (known != absl::InfinitePast()) learned_first_seen.emplace_back(m, known);
  }
  if (!records.empty()) {
    // A failed batch is retried, never skipped: a later ack would cover its seqs. Meanwhile
    // the queue fills and agents are told to back off.
    // RocksDB refuses every write after one failed (no descriptors, full disk) until it is
    // resumed; each retry resumes it first, and /readyz says the store cannot write meanwhile.
    for (absl::Status s = store_->PutSnapshots(records, loss_totals); !s.ok();
         s = store_->PutSnapshots(records, loss_totals)) {
      spdlog::error("writing {} snapshots failed (retrying): {}", records.size(), s.ToString());
      {
        absl::MutexLock lock(&mu_);
        if (store_failing_since_ == absl::InfiniteFuture()) store_failing_since_ = absl::Now();
        if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1))) return;
      }
      if (absl::Status r = store_->Resume(); !r.ok()) {
        spdlog::error("resuming the store: {}", r.ToString());
      }
    }
    {
      absl::MutexLock lock(&mu_);
      if (store_failing_since_ != absl::InfiniteFuture()) {
        spdlog::info("the store writes again");
        store_failing_since_ = absl::InfiniteFuture();
      }
    }
    metrics_->write_batches.Increment();
    metrics_->batch_size.Observe(static_cast<double>(records.size()));
    metrics_->snapshots_stored.Increment(static_cast<double>(records.size()));
  }
  const size_t records_stored = records.size();  // `records` moves into the fleet state
  if (!records.empty()) fleet_->Stored(std::move(records));
  absl::Time now = absl::Now();
  for (const PendingSnapshot& p : batch) {
    metrics_->ack_latency_seconds.Observe(absl::ToDoubleSeconds(now - p.received));
  }
  {
    absl::MutexLock lock(&mu_);
    for (NodeMark* m : touched) {
      m->stored.seq = m->pending.seq;
      m->stored.received = std::max(m->stored.received, m->pending.received);
    }
    for (const auto& [m, first_seen] : learned_first_seen) m->first_seen = first_seen;
    rate_count_ += records_stored;
    absl::Duration since = now - rate_at_;
    if (since >= absl::Seconds(1)) {
      double instant = static_cast<double>(rate_count_) / absl::ToDoubleSeconds(since);
      rate_ = rate_ == 0 ? instant : 0.9 * rate_ + 0.1 * instant;
      rate_count_ = 0;
      rate_at_ = now;
    }
  }
  for (auto& [ptr, entry] : acks) entry.first->Acked(entry.second);
}

}  // namespace guts::collector
