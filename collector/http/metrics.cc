#include "collector/http/metrics.h"

#include <map>

#include "guts/diag/v1/incident.pb.h"
#include "prometheus/text_serializer.h"

namespace guts::collector {
namespace {

using guts::diag::v1::FleetStatus;
using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Gauge& NewGauge(prometheus::Registry& r, const std::string& name,
                            const std::string& help) {
  return BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Counter& NewCounter(prometheus::Registry& r, const std::string& name,
                                const std::string& help) {
  return BuildCounter().Name(name).Help(help).Register(r).Add({});
}

// The fleet and store as gauges, rebuilt on every scrape so that vanished nodes vanish.
void AddFleetSeries(prometheus::Registry& r, const FleetStatus& fleet, const StoreFigures& s) {
  auto& by_state = BuildGauge()
                       .Name("guts_fleet_nodes")
                       .Help("Nodes by the state the collector assigns")
                       .Register(r);
  std::map<std::string, int> counts;
  for (int st = guts::diag::v1::HEALTHY; st <= guts::diag::v1::UNKNOWN; ++st) {
    counts[guts::diag::v1::NodeState_Name(st)] = 0;
  }
  auto& height = BuildGauge()
                     .Name("guts_node_finalized_height")
                     .Help("Finalized height each node reports")
                     .Register(r);
  auto& seen = BuildGauge()
                   .Name("guts_node_last_seen_age_seconds")
                   .Help("Seconds since the node's last snapshot arrived")
                   .Register(r);
  for (const auto& n : fleet.nodes()) {
    ++counts[guts::diag::v1::NodeState_Name(n.state())];
    if (n.unobserved()) continue;  // no agent: no height, no last snapshot
    height.Add({{"node", n.node_id()}}).Set(static_cast<double>(n.height()));
    seen.Add({{"node", n.node_id()}}).Set(static_cast<double>(n.last_seen_age_ms()) / 1000);
  }
  for (const auto& [state, count] : counts) by_state.Add({{"state", state}}).Set(count);

  auto& incidents =
      BuildGauge().Name("guts_open_incidents").Help("Open incidents by severity").Register(r);
  std::map<std::string, int> by_severity = {{"P1", 0}, {"P2", 0}, {"P3", 0}};
  for (const auto& i : fleet.open_incidents()) {
    if (i.awaiting_confirmation()) continue;  // restored at start, not confirmed yet
    ++by_severity[guts::diag::v1::Severity_Name(i.severity())];
  }
  for (const auto& [sev, count] : by_severity) incidents.Add({{"severity", sev}}).Set(count);

  NewGauge(r, "guts_fleet_max_height", "Highest finalized height any node reports")
      .Set(static_cast<double>(fleet.max_height()));
  NewGauge(r, "guts_fleet_quorum_height", "Highest height reached by a quorum of weight")
      .Set(static_cast<double>(fleet.quorum_height()));

  NewGauge(r, "guts_collector_store_snapshots_sst_bytes", "SST bytes of the snapshots CF")
      .Set(static_cast<double>(s.snapshots_sst_bytes));
  NewGauge(r, "guts_collector_store_snapshots_estimated_keys",
           "RocksDB's estimate of stored snapshots")
      .Set(static_cast<double>(s.snapshots_estimated_keys));
  NewGauge(r, "guts_collector_store_sst_bytes", "SST bytes of every CF")
      .Set(static_cast<double>(s.total_sst_bytes));
  NewGauge(r, "guts_collector_store_memtable_bytes", "Bytes in RocksDB memtables")
      .Set(static_cast<double>(s.memtable_bytes));
  NewGauge(r, "guts_collector_store_pending_compaction_bytes",
           "Bytes RocksDB estimates compaction must rewrite")
      .Set(static_cast<double>(s.pending_compaction_bytes));
  NewGauge(r, "guts_collector_store_blob_bytes", "Bytes in blob files (bundle data)")
      .Set(static_cast<double>(s.blob_bytes));
}

}  // namespace

CollectorMetrics::CollectorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rejected_(BuildCounter()
                    .Name("guts_collector_rejected_total")
                    .Help("Messages or streams refused, by reason")
                    .Register(*registry_)),
      spool_dropped_(BuildCounter()
                         .Name("guts_node_spool_dropped_total")
                         .Help("Snapshots the node's agent dropped from its full spool (as it "
                               "reported them)")
                         .Register(*registry_)),
      seq_gaps_(BuildCounter()
                    .Name("guts_node_seq_gaps_total")
                    .Help("Holes in the node's stored seqs")
                    .Register(*registry_)),
      seqs_missing_(BuildCounter()
                        .Name("guts_node_seqs_missing_total")
                        .Help("Seqs missing in the holes of the node's stored seqs")
                        .Register(*registry_)),
      streams(NewGauge(*registry_, "guts_collector_streams", "Agent streams connected")),
      snapshots_received(NewCounter(*registry_, "guts_collector_snapshots_received_total",
                                    "Snapshots received from agents")),
      snapshots_stored(NewCounter(*registry_, "guts_collector_snapshots_stored_total",
                                  "Snapshots written to the store")),
      snapshots_duplicate(NewCounter(*registry_, "guts_collector_snapshots_duplicate_total",
                                     "Replayed snapshots already stored (acked, not written)")),
      write_batches(NewCounter(*registry_, "guts_collector_write_batches_total",
                               "RocksDB write batches of snapshots")),
      batch_size(
          BuildHistogram()
              .Name("guts_collector_write_batch_snapshots")
              .Help("Snapshots per write batch")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 4, 16, 64, 256, 1024, 4096})),
      ack_latency_seconds(
          BuildHistogram()
              .Name("guts_collector_ack_latency_seconds")
              .Help("Receipt of a snapshot to its ack being queued")
              .Register(*registry_)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                           0.05, 0.1, 0.25, 0.5, 1, 2.5})),
      queue_depth(NewGauge(*registry_, "guts_collector_ingest_queue_depth",
                           "Snapshots received and waiting for their write")),
      ingest_lag_seconds(NewGauge(*registry_, "guts_collector_ingest_lag_seconds",
                                  "Age of the oldest snapshot waiting for its write")) {}

void CollectorMetrics::CountLoss(const std::string& node, uint64_t spool_dropped, uint64_t seq_gaps,
                                 uint64_t seqs_missing) {
  spool_dropped_.Add({{"node", node}}).Increment(static_cast<double>(spool_dropped));
  seq_gaps_.Add({{"node", node}}).Increment(static_cast<double>(seq_gaps));
  seqs_missing_.Add({{"node", node}}).Increment(static_cast<double>(seqs_missing));
}

prometheus::Counter& CollectorMetrics::Rejected(absl::string_view reason) {
  return rejected_.Add({{"reason", std::string(reason)}});
}

std::string CollectorMetrics::Render(const FleetStatus& fleet, const StoreFigures& store) const {
  prometheus::Registry fleet_registry;
  AddFleetSeries(fleet_registry, fleet, store);
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<prometheus::MetricFamily> more = fleet_registry.Collect();
  families.insert(families.end(), more.begin(), more.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace guts::collector
