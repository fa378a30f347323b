// The agent's own metrics, served on its HTTP port at /metrics in Prometheus text format:
// snapshots taken/sent/acked, spool depth and bytes, drops, reconnects, and per-source errors
// and durations; per collector (label `collector`, its "host:port"): connected, last acked
// seq, reconnects and spool drops before that collector acked.
//
// Example:
//   AgentMetrics metrics;
//   metrics.snapshots_sent().Increment();
//   std::string text = metrics.Serialize();
//
// Thread-safe (prometheus-cpp metrics are atomic; family lookups are locked).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace guts::agent {

class AgentMetrics {
 public:
  AgentMetrics();

  // One collector's series. Owned by the registry; valid as long as the AgentMetrics.
  struct Collector {
    prometheus::Gauge* connected;
    prometheus::Gauge* last_acked_seq;
    prometheus::Counter* reconnects;
    prometheus::Counter* spool_dropped;
  };
  // The series of the collector at `address` (created on first use).
  Collector ForCollector(const std::string& address);

  prometheus::Counter& snapshots_taken() { return *snapshots_taken_; }
  prometheus::Counter& snapshots_sent() { return *snapshots_sent_; }
  prometheus::Gauge& last_acked_seq() { return *last_acked_seq_; }
  prometheus::Gauge& spool_depth() { return *spool_depth_; }
  prometheus::Gauge& spool_bytes() { return *spool_bytes_; }
  prometheus::Counter& spool_dropped() { return *spool_dropped_; }
  prometheus::Counter& reconnects() { return *reconnects_; }
  prometheus::Gauge& connected() { return *connected_; }

  // One source run: its duration, and an error count when it failed or timed out.
  void SourceRan(std::string_view source, absl::Duration duration, bool ok);

  // All metrics in the Prometheus text exposition format.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* snapshots_taken_;
  prometheus::Counter* snapshots_sent_;
  prometheus::Gauge* last_acked_seq_;
  prometheus::Gauge* spool_depth_;
  prometheus::Gauge* spool_bytes_;
  prometheus::Counter* spool_dropped_;
  prometheus::Counter* reconnects_;
  prometheus::Gauge* connected_;
  prometheus::Family<prometheus::Counter>* source_errors_;
  prometheus::Family<prometheus::Gauge>* source_duration_;
  prometheus::Family<prometheus::Gauge>* collector_connected_;
  prometheus::Family<prometheus::Gauge>* collector_last_acked_;
  prometheus::Family<prometheus::Counter>* collector_reconnects_;
  prometheus::Family<prometheus::Counter>* collector_dropped_;
};

}  // namespace guts::agent
