// The collector's configuration, from flags, environment (GUTS_COLLECTOR_<FLAG>) and an
// optional YAML file (--config), in that order of precedence.
//
// Example:
//   absl::StatusOr<std::optional<CollectorConfig>> c = ParseCollectorConfig(argc, argv);
//   if (!c.ok()) { std::cerr << c.status(); return 2; }   // usage error
//   if (!c->has_value()) return 0;                         // --help or --version printed
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/alerting/alert_pusher.h"
#include "collector/http/fleet_series.h"
#include "common/tls.h"

namespace guts::collector {

struct CollectorConfig {
  std::string grpc_addr = "127.0.0.1:7400";
  std::string http_addr = "127.0.0.1:7401";
  std::string data_dir;
  absl::Duration retention = absl::Hours(168);
  // Snapshots older than full_resolution keep one per downsample_interval (the last of each;
  // Store::DownsampleSnapshotsBefore); zero full_resolution keeps every snapshot.
  absl::Duration full_resolution = absl::Hours(48);
  absl::Duration downsample_interval = absl::Minutes(1);
  absl::Duration tick = absl::Seconds(1);
  absl::Duration stall_threshold = absl::Seconds(120);
  // Every detector window and the ingest lag that counts as overload, multiplied by this
  // (tests run the whole pipeline at 0.1); the tick and the stall threshold are their own flags.
  double analysis_time_scale = 1.0;
  // Declared maintenance windows [start, end): pages inside them become P3 notes (rolling
  // restarts). From --maintenance-window START/END in RFC 3339, repeatable.
  std::vector<std::pair<absl::Time, absl::Time>> maintenance_windows;
  // The operator's validator file (--validators, collector/validators_file.h); "" = none: the
  // set comes from the node API or the agents' participants.
  std::string validators_file;
  std::string ready_file;
  TlsOptions tls;
  // Bearer tokens for clients without certificates (collector/auth/token_file.h); "" = none.
  std::string tokens_file;
  // Audit trail of bundle requests and downloads; "" = stderr (collector/auth/audit_log.h).
  std::string audit_log;
  std::string log_level = "info";
  // Ingest queue bound (snapshots); beyond it agents get RESOURCE_EXHAUSTED.
  uint32_t max_queue = 200000;
  // Snapshots per second one agent may send, sustained (0 = no limit), and how many at once
  // beyond that; a spool replay after an outage is credited apart (ingest/agent_rate_limit.h).
  double max_snapshots_per_second_per_agent = 20;
  uint32_t max_snapshot_burst_per_agent = 200;
  // Largest gRPC message accepted (bundle chunks are up to 1 MiB).
  uint32_t max_message_bytes = 4 << 20;
  // Alertmanagers and webhooks the open incidents are pushed to, with the network label,
  // runbook links and intervals (collector/alerting/alert_pusher.h). No endpoint: no pushing.
  AlertPusherOptions alerting;
  // Per-link series on /metrics (N², off by default) and their bound.
  FleetSeriesOptions fleet_series;
  // Bytes of snapshots waiting for the store (all agents), and received but not yet acked on
  // one stream; beyond either, agents get RESOURCE_EXHAUSTED.
  uint64_t max_queue_bytes = 256ull << 20;
  // How long the snapshot writer waits for more snapshots to join a write batch (group
  // commit; collector/ingest/snapshot_writer.h). Adds at most this to an ack.
  absl::Duration ingest_batch_linger = absl::Milliseconds(5);
  uint64_t max_stream_inflight_bytes = 16ull << 20;
  // gRPC connections: in total and per peer address (beyond, the newest are closed), the TLS
  // handshake deadline, and how long a connection without calls is kept.
  uint32_t max_connections = 8192;
  uint32_t max_connections_per_peer = 4096;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration connection_idle_timeout = absl::Minutes(5);
  uint32_t max_streams_per_connection = 1024;
  // Memory gRPC may use for connections and calls (its resource quota).
  uint64_t grpc_memory_bytes = 512ull << 20;
  // Not ready (gRPC port not accepting, store not writing) for longer than this: /healthz
  // fails too, so the orchestrator restarts the process.
  absl::Duration unhealthy_grace = absl::Seconds(60);
  // Worker threads of the operational HTTP server.
  int http_threads = 64;
  // Fleet queries (status, node, history, topology, incidents) at once, in total and per
  // caller; beyond, RESOURCE_EXHAUSTED (collector/query/query_admission.h). 0 = no limit.
  uint32_t max_queries = 64;
  uint32_t max_queries_per_caller = 16;
  // CollectBundle and DownloadBundle calls at once, in total and per caller (each runs for
  // minutes on a thread of its own); beyond, RESOURCE_EXHAUSTED. 0 = no limit.
  uint32_t max_bundle_calls = 16;
  uint32_t max_bundle_calls_per_caller = 4;
  // Uploaded bundle archives checked at once, and waiting for a check; an upload beyond both
  // gets RESOURCE_EXHAUSTED and retries (collector/bundles/archive_check_queue.h).
  uint32_t archive_checks = 2;
  uint32_t max_waiting_archive_checks = 8;
  // zstd dictionary per SST file of the snapshots CF (0 disables; for measurements).
  uint32_t zstd_dict_bytes = 16 * 1024;
  // The store's RocksDB memtables, all together (StoreOptions::memtable_bytes, which has the
  // same default and bounds): less memory, more and smaller flushes.
  uint64_t store_memtable_bytes = 32ull << 20;
};

// A duration like "168h", "1s", "250ms" or "7d". INVALID_ARGUMENT otherwise or when negative.
absl::StatusOr<absl::Duration> ParseConfigDuration(const std::string& text);

// A maintenance window "2026-11-30T08:00:00Z/2026-11-30T09:00:00Z" (RFC 3339 times, start
// before end). INVALID_ARGUMENT naming --maintenance-window otherwise.
absl::StatusOr<std::pair<absl::Time, absl::Time>> ParseMaintenanceWindow(const std::string& text);

// Parses argv. INVALID_ARGUMENT (with the usage problem) for a bad flag, value or YAML file;
// nullopt when --help or --version was printed.
absl::StatusOr<std::optional<CollectorConfig>> ParseCollectorConfig(int argc,
                                                                    const char* const* argv);

}  // namespace guts::collector
