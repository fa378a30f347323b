#include "collector/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <istream>
#include <memory>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "collector/store/store.h"
#include "common/version.h"
#include "yaml-cpp/yaml.h"

namespace guts::collector {
namespace {

// The default replica name: the host name (a pod's name under a StatefulSet).
std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "collector";
  return host;
}

std::string EnvName(const std::string& flag) {
  return "GUTS_COLLECTOR_" + absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}}));
}

// Reads a flat YAML mapping (flag name without dashes -> scalar or list) into CLI11's items.
// CLI11 reads the file before the environment, so settings whose variable is set are left out
// here: flags beat the environment, which beats the file.
class YamlConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return ""; }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    YAML::Node root;
    try {
      root = YAML::Load(input);
    } catch (const YAML::Exception& e) {
      throw CLI::ConversionError(absl::StrCat("--config: not valid YAML: ", e.what()));
    }
    std::vector<CLI::ConfigItem> items;
    if (root.IsNull()) return items;
    if (!root.IsMap()) throw CLI::ConversionError("--config: the file must be a YAML mapping");
    // A key or list item that is itself a mapping or list does not convert to a string:
    // a usage error, not an exception nobody catches (found by collector_config_fuzzer).
    try {
      for (const auto& entry : root) {
        CLI::ConfigItem item;
        item.name = absl::StrReplaceAll(entry.first.as<std::string>(), {{"_", "-"}});
        if (entry.second.IsSequence()) {
          for (const auto& v : entry.second) item.inputs.push_back(v.as<std::string>());
        } else if (entry.second.IsScalar()) {
          item.inputs.push_back(entry.second.as<std::string>());
        } else {
          throw CLI::ConversionError(absl::StrCat("--config: ", item.name, " must be a value"));
        }
        if (std::getenv(EnvName(item.name).c_str()) != nullptr) continue;
        items.push_back(std::move(item));
      }
    } catch (const YAML::Exception& e) {
      throw CLI::ConversionError(
          absl::StrCat("--config: every key and value must be a plain value: ", e.what()));
    }
    return items;
  }
};

}  // namespace

absl::StatusOr<absl::Duration> ParseConfigDuration(const std::string& text) {
  absl::Duration d;
  int64_t days = 0;
  if (!text.empty() && text.back() == 'd' &&
      absl::SimpleAtoi(absl::string_view(text).substr(0, text.size() - 1), &days)) {
    d = absl::Hours(24 * days);
  } else if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a duration (e.g. 250ms, 1s, 120s, 168h, 7d)"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is negative"));
  }
  return d;
}

absl::StatusOr<std::pair<absl::Time, absl::Time>> ParseMaintenanceWindow(const std::string& text) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--maintenance-window \"", text, "\": ", why,
                                                   " (e.g. 2026-11-30T08:00:00Z/"
                                                   "2026-11-30T09:00:00Z)"));
  };
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 2) return invalid("want START/END");
  absl::Time start, end;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, parts[0], &start, &error)) {
    return invalid(absl::StrCat("start is not an RFC 3339 time: ", error));
  }
  if (!absl::ParseTime(absl::RFC3339_full, parts[1], &end, &error)) {
    return invalid(absl::StrCat("end is not an RFC 3339 time: ", error));
  }
  if (end <= start) return invalid("the end is not after the start");
  return std::pair{start, end};
}

absl::StatusOr<std::optional<CollectorConfig>> ParseCollectorConfig(int argc,
                                                                    const char* const* argv) {
  CollectorConfig config;
  CLI::App app("guts-collector: receives agents' snapshots, stores them, analyses the fleet",
               "guts-collector");
  app.config_formatter(std::make_shared<YamlConfig>());
  app.set_config("--config", "", "YAML file of settings (keys are the flag names)")
      ->envname(EnvName("config"));
  app.set_version_flag("--version", kVersion);
  std::string full_resolution = "48h", downsample_interval = "1m";
  std::string retention = "168h", tick = "1s", stall = "120s", handshake = "10s", idle = "5m",
              grace = "60s", linger = "5ms";
  auto add = [&](const std::string& flag, auto* target, const std::string& help) {
    return app.add_option("--" + flag, *target, help)
        ->envname(EnvName(flag))
        ->capture_default_str();
  };
  add("grpc-addr", &config.grpc_addr, "gRPC listen address host:port (port 0: any free port)");
  add("http-addr", &config.http_addr, "HTTP (/metrics, /healthz, /readyz) address host:port");
  add("data-dir", &config.data_dir, "Directory of the RocksDB store")->required();
  add("retention", &retention, "How long snapshots are kept");
  add("full-resolution", &full_resolution,
      "Snapshots older than this keep only the last of each --downsample-interval (0: keep "
      "every snapshot for the whole retention)");
  add("downsample-interval", &downsample_interval,
      "Resolution of history older than --full-resolution");
  add("tick", &tick, "Analysis tick");
  add("stall-threshold", &stall, "No finalized block fleet-wide for this long: consensus stuck");
  add("analysis-time-scale", &config.analysis_time_scale,
      "Multiplies every detector window and the overload lag (tests: 0.1); not --tick or "
      "--stall-threshold");
  std::vector<std::string> maintenance;
  add("maintenance-window", &maintenance,
      "Declared maintenance START/END (RFC 3339), repeatable: pages inside become P3 notes");
  add("validators", &config.validators_file,
      "YAML validator set (name, public_key, p2p_addr, weight, organisation): wins over the "
      "node API and the agents' participants; names validators without an agent");
  add("ready-file", &config.ready_file, "Written with the bound addresses once serving");
  add("tls-cert", &config.tls.cert_file, "PEM certificate of the collector");
  add("tls-key", &config.tls.key_file, "PEM private key of the collector");
  add("tls-ca", &config.tls.ca_file, "PEM CA that signs agents' and clients' certificates");
  add("tokens-file", &config.tokens_file,
      "Bearer tokens for clients without certificates: lines 'role sha256-hex name'");
  add("audit-log", &config.audit_log,
      "Audit trail of bundle requests and downloads (default stderr)");
  add("log-level", &config.log_level, "trace, debug, info, warn, error");
  add("max-queue", &config.max_queue,
      "Snapshots waiting for the store before agents are told "
      "to back off");
  add("max-snapshots-per-second-per-agent", &config.max_snapshots_per_second_per_agent,
      "Snapshots per second one agent may send, sustained; beyond, its stream is refused with "
      "RESOURCE_EXHAUSTED (0: no limit; spool replays after an outage pass)");
  add("max-snapshot-burst-per-agent", &config.max_snapshot_burst_per_agent,
      "Snapshots one agent may send at once beyond its per-second rate");
  add("max-message-bytes", &config.max_message_bytes, "Largest gRPC message accepted");
  add("max-queue-bytes", &config.max_queue_bytes,
      "Bytes of snapshots waiting for the store before agents are told to back off");
  add("ingest-batch-linger", &linger,
      "How long the snapshot writer waits for more snapshots to join a write batch (group "
      "commit: fewer, larger writes); adds at most this to an agent's ack (0: write at once)");
  add("max-stream-inflight-bytes", &config.max_stream_inflight_bytes,
      "Bytes one agent stream may have received but not yet acked");
  add("max-connections", &config.max_connections,
      "gRPC connections in total (also capped by the open-file limit); the newest beyond are "
      "closed");
  add("max-connections-per-peer", &config.max_connections_per_peer,
      "gRPC connections from one peer address");
  add("handshake-timeout", &handshake, "A gRPC connection must finish its handshake within this");
  add("connection-idle-timeout", &idle, "A gRPC connection without calls is closed after this");
  add("max-streams-per-connection", &config.max_streams_per_connection,
      "Concurrent gRPC calls on one connection");
  add("grpc-memory-bytes", &config.grpc_memory_bytes,
      "Memory gRPC may use for connections and calls");
  add("unhealthy-grace", &grace,
      "Not ready this long (gRPC port not accepting, store not writing): /healthz fails");
  add("http-threads", &config.http_threads, "Worker threads of the HTTP server");
  add("max-queries", &config.max_queries,
      "Fleet queries (status, node, history, topology, incidents) at once; beyond, "
      "RESOURCE_EXHAUSTED (0: no limit)");
  add("max-queries-per-caller", &config.max_queries_per_caller,
      "Fleet queries at once from one caller (certificate or token); beyond, RESOURCE_EXHAUSTED "
      "(0: no limit)");
  add("max-bundle-calls", &config.max_bundle_calls,
      "Bundle collections and downloads at once; beyond, RESOURCE_EXHAUSTED (0: no limit)");
  add("max-bundle-calls-per-caller", &config.max_bundle_calls_per_caller,
      "Bundle collections and downloads at once from one caller; beyond, RESOURCE_EXHAUSTED "
      "(0: no limit)");
  add("archive-checks", &config.archive_checks,
      "Uploaded bundle archives checked at once (each on a thread of its own)");
  add("max-waiting-archive-checks", &config.max_waiting_archive_checks,
      "Uploaded archives waiting for a check; an upload beyond gets RESOURCE_EXHAUSTED and "
      "retries");
  add("zstd-dict-bytes", &config.zstd_dict_bytes,
      "zstd dictionary size for stored snapshots (0 disables)");
  add("store-memtable-bytes", &config.store_memtable_bytes,
      "Memory of the store's RocksDB memtables, all together (4 MiB to 16 GiB): less memory "
      "but more, smaller flushes to disk");
  // Alerting (collector/alerting/): Alertmanager's v2 API and webhooks, TLS and auth as
  // Alertmanager deployments use them.
  std::vector<std::string> am_urls, webhook_urls;
  AlertEndpoint am_auth, webhook_auth;
  std::string resend = "1m", webhook_repeat = "4h", resolved_retention = "15m",
              replica_settle = "0s";
  AlertContext& context = config.alerting.context;
  add("alertmanager-url", &am_urls,
      "Alertmanager base URL (http[s]://host:9093), repeatable: open incidents are pushed to "
      "<url>/api/v2/alerts");
  add("alertmanager-ca", &am_auth.ca_file, "PEM CA of the Alertmanagers' server certificates");
  add("alertmanager-cert", &am_auth.cert_file, "PEM client certificate for the Alertmanagers");
  add("alertmanager-key", &am_auth.key_file, "PEM client key for the Alertmanagers");
  add("alertmanager-bearer-token-file", &am_auth.bearer_token_file,
      "File holding a bearer token for the Alertmanagers (re-read at every push)");
  add("alertmanager-basic-auth-user", &am_auth.basic_auth_user,
      "Basic auth user for the Alertmanagers");
  add("alertmanager-basic-auth-password-file", &am_auth.basic_auth_password_file,
      "File holding the basic auth password for the Alertmanagers");
  add("alert-webhook-url", &webhook_urls,
      "URL receiving Alertmanager's webhook payload (version 4) on every change, repeatable");
  add("alert-webhook-ca", &webhook_auth.ca_file, "PEM CA of the webhooks' server certificates");
  add("alert-webhook-bearer-token-file", &webhook_auth.bearer_token_file,
      "File holding a bearer token for the webhooks");
  add("alert-resend-interval", &resend,
      "Open incidents are re-sent this often; keep it below Alertmanager's resolve_timeout");
  add("alert-webhook-repeat-interval", &webhook_repeat,
      "A webhook hears again of what still fires after this long without a change");
  add("alert-resolved-retention", &resolved_retention,
      "Resolved alerts are re-sent to Alertmanagers this long after the resolution");
  add("network-name", &context.network, "The `network` label of every alert");
  context.replica = HostName();
  add("replica-name", &context.replica,
      "This collector replica's name (default: the host name; give each replica on one host "
      "its own): the collector_replica annotation of every alert, and label of the alerts "
      "about the collector itself (COLLECTOR_UNREACHABLE, COLLECTOR_DEGRADED)");
  add("alert-replica-settle", &replica_settle,
      "With collector replicas: a resolution waits this long (about two resend intervals) and "
      "is not sent while an Alertmanager holds the alert fired by another replica (0s: a "
      "single collector, resolutions go out at once)");
  add("alert-runbook-url-base", &context.runbook_url_base,
      "runbook_url of an alert: this followed by the runbook's name");
  add("external-url", &context.external_url,
      "Where operators reach this collector (alerts' generatorURL)");
  add("alert-gutsctl", &context.gutsctl,
      "How an alert's `command` annotation starts (e.g. gutsctl --collector host:7400)");
  app.add_flag("--metrics-link-series", config.fleet_series.link_series,
               "Export guts_link_heard{from,to} on /metrics: N² series, see "
               "--metrics-max-link-series")
      ->envname(EnvName("metrics-link-series"));
  add("metrics-max-link-series", &config.fleet_series.max_link_series,
      "Above this many links no per-link series is written (guts_fleet_link_series_truncated)");
  add("metrics-max-unobserved-series", &config.fleet_series.max_unobserved_series,
      "Above this many validators without an agent, guts_validator_unobserved is left out "
      "(the counts stay; guts_fleet_unobserved_series_truncated)");
  app.add_flag("--insecure", config.tls.insecure, "Plain-text gRPC (development only)")
      ->envname(EnvName("insecure"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return std::optional<CollectorConfig>();
  } catch (const CLI::CallForVersion& e) {
    std::cout << kVersion << "\n";
    return std::optional<CollectorConfig>();
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  for (auto [text, target] :
       {std::pair{&retention, &config.retention}, std::pair{&tick, &config.tick},
        std::pair{&stall, &config.stall_threshold},
        std::pair{&handshake, &config.handshake_timeout},
        std::pair{&idle, &config.connection_idle_timeout},
        std::pair{&grace, &config.unhealthy_grace},
        std::pair{&full_resolution, &config.full_resolution},
        std::pair{&downsample_interval, &config.downsample_interval},
        std::pair{&linger, &config.ingest_batch_linger}}) {
    absl::StatusOr<absl::Duration> d = ParseConfigDuration(*text);
    if (!d.ok()) return d.status();
    *target = *d;
  }
  if (config.tick <= absl::ZeroDuration()) return absl::InvalidArgumentError("--tick must be > 0");
  if (config.ingest_batch_linger < absl::ZeroDuration() ||
      config.ingest_batch_linger > absl::Seconds(1)) {
    return absl::InvalidArgumentError("--ingest-batch-linger must be between 0 and 1s");
  }
  if (config.full_resolution < absl::ZeroDuration() ||
      config.downsample_interval < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        "--full-resolution must be >= 0 and --downsample-interval >= 1ms");
  }
  if (!(config.analysis_time_scale > 0)) {
    return absl::InvalidArgumentError("--analysis-time-scale must be > 0");
  }
  {
    absl::StatusOr<absl::Duration> d = ParseConfigDuration(resend);
    if (!d.ok()) return d.status();
    if (*d < absl::Seconds(1)) return absl::InvalidArgumentError("--alert-resend-interval < 1s");
    config.alerting.resend_interval = *d;
    d = ParseConfigDuration(webhook_repeat);
    if (!d.ok()) return d.status();
    config.alerting.webhook_repeat_interval = std::max(*d, absl::Seconds(1));
    d = ParseConfigDuration(resolved_retention);
    if (!d.ok()) return d.status();
    config.alerting.resolved_retention = *d;
    d = ParseConfigDuration(replica_settle);
    if (!d.ok()) return d.status();
    config.alerting.replica_settle = *d;
  }
  for (auto [urls, kind, auth] :
       {std::tuple{&am_urls, AlertEndpoint::kAlertmanager, &am_auth},
        std::tuple{&webhook_urls, AlertEndpoint::kWebhook, &webhook_auth}}) {
    for (const std::string& url : *urls) {
      if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
        return absl::InvalidArgumentError(
            absl::StrCat("alert endpoint \"", url, "\" is not an http:// or https:// URL"));
      }
      AlertEndpoint e = *auth;
      e.url = url;
      e.kind = kind;
      config.alerting.endpoints.push_back(std::move(e));
    }
  }
  if (am_auth.cert_file.empty() != am_auth.key_file.empty()) {
    return absl::InvalidArgumentError("--alertmanager-cert and --alertmanager-key go together");
  }
  if (!am_auth.basic_auth_user.empty() && am_auth.basic_auth_password_file.empty()) {
    return absl::InvalidArgumentError(
        "--alertmanager-basic-auth-user needs --alertmanager-basic-auth-password-file");
  }
  if (!am_auth.basic_auth_user.empty() && !am_auth.bearer_token_file.empty()) {
    return absl::InvalidArgumentError(
        "basic auth or a bearer token for the Alertmanagers, not both");
  }
  for (const std::string& text : maintenance) {
    absl::StatusOr<std::pair<absl::Time, absl::Time>> window = ParseMaintenanceWindow(text);
    if (!window.ok()) return window.status();
    config.maintenance_windows.push_back(*window);
  }
  if (config.store_memtable_bytes < StoreOptions::kMinMemtableBytes ||
      config.store_memtable_bytes > StoreOptions::kMaxMemtableBytes) {
    return absl::InvalidArgumentError(absl::StrCat("--store-memtable-bytes must be between ",
                                                   StoreOptions::kMinMemtableBytes, " (4 MiB) and ",
                                                   StoreOptions::kMaxMemtableBytes, " (16 GiB)"));
  }
  if (!(config.max_snapshots_per_second_per_agent >= 0)) {
    return absl::InvalidArgumentError("--max-snapshots-per-second-per-agent must be >= 0");
  }
  if (!config.tls.insecure &&
      (config.tls.cert_file.empty() || config.tls.key_file.empty() || config.tls.ca_file.empty())) {
    return absl::InvalidArgumentError(
        "--tls-cert, --tls-key and --tls-ca are required unless --insecure is given");
  }
  // With tokens, clients may come without a certificate (a presented one is still verified).
  config.tls.client_certificate_optional = !config.tokens_file.empty();
  return std::optional<CollectorConfig>(std::move(config));
}

}  // namespace guts::collector
