#include "collector/query/node_history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/fleet/peers_heard.h"
#include "collector/store/keys.h"

namespace guts::collector {

using guts::diag::v1::HistoryPoint;
using guts::diag::v1::Snapshot;

HistoryPoint ToHistoryPoint(const Snapshot& s, bool full, absl::Duration peer_heard_within) {
  HistoryPoint p;
  p.set_unix_ms(s.taken_unix_ms());
  p.set_seq(s.seq());
  p.set_height(s.consensus().finalized_height());
  p.set_view(s.consensus().view());
  p.set_peers_heard(PeersHeard(s, peer_heard_within));
  p.set_cpu_busy_ratio(s.system().cpu_busy_ratio());
  p.set_memory_rss_bytes(s.system().node_rss_bytes());
  if (s.system().disk_total_bytes() > 0) {
    p.set_disk_used_ratio(1.0 - static_cast<double>(s.system().disk_available_bytes()) /
                                    static_cast<double>(s.system().disk_total_bytes()));
  }
  p.set_spool_dropped(s.spool_dropped());
  if (full) *p.mutable_snapshot() = s;
  return p;
}

absl::StatusOr<NodeHistoryReader> NodeHistoryReader::Start(
    const Store* store, const guts::diag::v1::NodeHistoryRequest& request,
    absl::Duration peer_heard_within) {
  if (!keys::ValidNodeId(request.node_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", request.node_id().substr(0, 64), "\" is not a node id"));
  }
  if (request.step_ms() < 0) return absl::InvalidArgumentError("step_ms must be >= 0");
  if (request.from_unix_ms() < 0 || request.to_unix_ms() < 0) {
    return absl::InvalidArgumentError("from_unix_ms and to_unix_ms must be >= 0");
  }
  if (request.to_unix_ms() != 0 && request.from_unix_ms() > request.to_unix_ms()) {
    return absl::InvalidArgumentError("from_unix_ms is after to_unix_ms");
  }
  NodeHistoryReader r;
  r.store_ = store;
  r.request_ = request;
  r.peer_heard_within_ = peer_heard_within;
  r.resume_from_ = request.from_unix_ms() == 0 ? absl::InfinitePast()
                                               : absl::FromUnixMillis(request.from_unix_ms());
  // `to` is inclusive on the wire; the store's bound is exclusive.
  r.to_ = request.to_unix_ms() == 0 ? absl::InfiniteFuture()
                                    : absl::FromUnixMillis(request.to_unix_ms() + 1);
  r.limit_ =
      request.limit() == 0 ? kDefaultHistoryLimit : std::min(request.limit(), kMaxHistoryLimit);
  absl::StatusOr<absl::Time> downsampled = store->DownsampledBefore();
  if (!downsampled.ok()) return downsampled.status();
  if (*downsampled != absl::InfinitePast())
    r.downsampled_before_ms_ = absl::ToUnixMillis(*downsampled);
  return r;
}

absl::StatusOr<std::vector<HistoryPoint>> NodeHistoryReader::NextPage(size_t max_bytes) {
  std::vector<HistoryPoint> points;
  if (done_) return points;
  size_t bytes = 0;
  const int64_t step = request_.step_ms();
  const bool full = request_.full();
  auto emit = [&](const Snapshot& snap) {
    points.push_back(ToHistoryPoint(snap, full, peer_heard_within_));
    // With a step, a point stands for its bucket: what was missing or dropped in it counts.
    points.back().set_seqs_missing_before(missing_since_point_);
    points.back().set_spool_dropped(dropped_since_point_);
    missing_since_point_ = 0;
    dropped_since_point_ = 0;
    bytes += points.back().ByteSizeLong();
    ++returned_;
  };
  bool stopped_early = false;
  absl::Status s =
      store_->History(request_.node_id(), resume_from_, to_, [&](const Snapshot& snap) {
        if (snap.taken_unix_ms() == resume_ms_ && snap.seq() <= resume_seq_) return true;
        resume_ms_ = snap.taken_unix_ms();
        resume_seq_ = snap.seq();
        const uint64_t missing = previous_seq_ != 0 && snap.seq() > previous_seq_ + 1 &&
                                         snap.taken_unix_ms() >= downsampled_before_ms_
                                     ? snap.seq() - previous_seq_ - 1
                                     : 0;
        previous_seq_ = snap.seq();
        if (step == 0) {
          missing_since_point_ += missing;
          dropped_since_point_ += snap.spool_dropped();
          emit(snap);
        } else {
          int64_t bucket = snap.taken_unix_ms() / step;
          if (pending_ && bucket != pending_bucket_) emit(last_);
          missing_since_point_ += missing;
          dropped_since_point_ += snap.spool_dropped();
          pending_ = true;
          pending_bucket_ = bucket;
          last_ = snap;
        }
        if (returned_ >= limit_) {
          pending_ = false;
          done_ = true;
          return false;
        }
        if (bytes >= max_bytes) {
          stopped_early = true;
          return false;
        }
        return true;
      });
  if (!s.ok()) return s;
  if (stopped_early) {
    resume_from_ = absl::FromUnixMillis(resume_ms_);
    return points;
  }
  if (pending_ && returned_ < limit_) emit(last_);
  pending_ = false;
  done_ = true;
  return points;
}

absl::StatusOr<std::vector<HistoryPoint>> LoadNodeHistory(
    const Store& store, const guts::diag::v1::NodeHistoryRequest& request,
    absl::Duration peer_heard_within) {
  absl::StatusOr<NodeHistoryReader> reader =
      NodeHistoryReader::Start(&store, request, peer_heard_within);
  if (!reader.ok()) return reader.status();
  std::vector<HistoryPoint> all;
  for (;;) {
    absl::StatusOr<std::vector<HistoryPoint>> page = reader->NextPage(size_t{4} << 20);
    if (!page.ok()) return page.status();
    if (page->empty()) return all;
    for (HistoryPoint& p : *page) all.push_back(std::move(p));
  }
}

}  // namespace guts::collector
