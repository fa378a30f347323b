#include "collector/query/node_history.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "collector/store/keys.h"

namespace guts::collector {

using guts::diag::v1::HistoryPoint;
using guts::diag::v1::Snapshot;

HistoryPoint ToHistoryPoint(const Snapshot& s, bool full) {
  HistoryPoint p;
  p.set_unix_ms(s.taken_unix_ms());
  p.set_seq(s.seq());
  p.set_height(s.consensus().finalized_height());
  p.set_view(s.consensus().view());
  std::set<std::string> heard;
  for (const auto& peer : s.peers()) {
    if (peer.last_data_recv_age_ms() <= 5000) {
      heard.insert(peer.remote_addr().substr(0, peer.remote_addr().rfind(':')));
    }
  }
  p.set_peers_heard(static_cast<uint32_t>(heard.size()));
  p.set_cpu_busy_ratio(s.system().cpu_busy_ratio());
  p.set_memory_rss_bytes(s.system().node_rss_bytes());
  if (s.system().disk_total_bytes() > 0) {
    p.set_disk_used_ratio(1.0 - static_cast<double>(s.system().disk_available_bytes()) /
                                    static_cast<double>(s.system().disk_total_bytes()));
  }
  if (full) *p.mutable_snapshot() = s;
  return p;
}

absl::StatusOr<std::vector<HistoryPoint>> LoadNodeHistory(
    const Store& store, const guts::diag::v1::NodeHistoryRequest& request) {
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
  absl::Time from = request.from_unix_ms() == 0 ? absl::InfinitePast()
                                                : absl::FromUnixMillis(request.from_unix_ms());
  // `to` is inclusive on the wire; the store's bound is exclusive.
  absl::Time to = request.to_unix_ms() == 0 ? absl::InfiniteFuture()
                                            : absl::FromUnixMillis(request.to_unix_ms() + 1);
  uint32_t limit =
      request.limit() == 0 ? kDefaultHistoryLimit : std::min(request.limit(), kMaxHistoryLimit);
  std::vector<HistoryPoint> points;
  const int64_t step = request.step_ms();
  bool pending = false;
  int64_t pending_bucket = 0;
  Snapshot last;
  absl::Status s = store.History(request.node_id(), from, to, [&](const Snapshot& snap) {
    if (step == 0) {
      points.push_back(ToHistoryPoint(snap, request.full()));
      return points.size() < limit;
    }
    int64_t bucket = snap.taken_unix_ms() / step;
    if (pending && bucket != pending_bucket) {
      points.push_back(ToHistoryPoint(last, request.full()));
      if (points.size() >= limit) {
        pending = false;
        return false;
      }
    }
    pending = true;
    pending_bucket = bucket;
    last = snap;
    return true;
  });
  if (!s.ok()) return s;
  if (pending && points.size() < limit) points.push_back(ToHistoryPoint(last, request.full()));
  return points;
}

}  // namespace guts::collector
