// CollectorMetrics: the collector's own Prometheus series (ingest, store) and the rendering of
// /metrics, which adds the fleet as series (nodes by state, heights, open incidents).
//
// Example:
//   CollectorMetrics metrics;
//   metrics.snapshots_received.Increment();
//   std::string text = metrics.Render(fleet_status, store.Figures());
//
// Thread-safe: the series may be updated from any thread; Render may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "collector/store/store.h"
#include "guts/diag/v1/fleet.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace guts::collector {

class CollectorMetrics {
 public:
  CollectorMetrics();
  CollectorMetrics(const CollectorMetrics&) = delete;
  CollectorMetrics& operator=(const CollectorMetrics&) = delete;

  // A snapshot or stream refused, by reason ("not_hello", "overloaded", "invalid", ...).
  prometheus::Counter& Rejected(absl::string_view reason);

  // History a node is known to have lost (docs/security.md, "Accounted loss"): snapshots its
  // agent's spool dropped, and seqs missing (in how many gaps) among its stored ones.
  void CountLoss(const std::string& node, uint64_t spool_dropped, uint64_t seq_gaps,
                 uint64_t seqs_missing);

  // Prometheus text of every series, with the fleet's state and the store's figures.
  std::string Render(const guts::diag::v1::FleetStatus& fleet, const StoreFigures& store) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& spool_dropped_;
  prometheus::Family<prometheus::Counter>& seq_gaps_;
  prometheus::Family<prometheus::Counter>& seqs_missing_;

 public:
  prometheus::Gauge& streams;
  prometheus::Counter& snapshots_received;
  prometheus::Counter& snapshots_stored;
  prometheus::Counter& snapshots_duplicate;
  prometheus::Counter& write_batches;
  prometheus::Histogram& batch_size;
  prometheus::Histogram& ack_latency_seconds;
  prometheus::Gauge& queue_depth;
  prometheus::Gauge& ingest_lag_seconds;
};

}  // namespace guts::collector
