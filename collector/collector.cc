#include "collector/collector.h"

#include <atomic>
#include <optional>

#include "absl/strings/str_cat.h"
#include "collector/alerting/alert_pusher.h"
#include "collector/analysis_loop.h"
#include "collector/auth/access_control.h"
#include "collector/fleet/fleet_state.h"
#include "collector/http/fleet_series.h"
#include "collector/http/metrics.h"
#include "collector/ingest/grpc_port_guard.h"
#include "collector/ingest/snapshot_writer.h"
#include "collector/maintenance/maintenance_desk.h"
#include "collector/maintenance/maintenance_service.h"
#include "collector/query/fleet_service.h"
#include "collector/validators_file.h"
#include "common/host_port.h"
#include "common/http_server.h"
#include "common/version.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

absl::StatusOr<HostPort> ListenAddress(const std::string& flag, const std::string& addr) {
  absl::StatusOr<HostPort> hp = ParseHostPort(addr);
  if (!hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", hp.status().message(), " (port 0 picks a free port)"));
  }
  return hp;
}

}  // namespace

struct Collector::Parts {
  CollectorConfig config;
  std::unique_ptr<Store> store;
  FleetState fleet;
  CollectorMetrics metrics;
  std::unique_ptr<SnapshotWriter> writer;
  std::unique_ptr<MaintenanceDesk> maintenance;
  std::unique_ptr<MaintenanceServiceImpl> maintenance_service;
  std::unique_ptr<AlertPusher> alerts;
  std::unique_ptr<AnalysisLoop> analysis;
  std::unique_ptr<AgentServiceImpl> agent_service;
  std::unique_ptr<FleetServiceImpl> fleet_service;
  std::unique_ptr<BundleRpcs> bundles;
  std::unique_ptr<AccessControl> access;
  std::shared_ptr<grpc::ServerCredentials> creds;
  absl::Mutex server_mu;
  std::unique_ptr<grpc::Server> server ABSL_GUARDED_BY(server_mu);
  std::unique_ptr<GrpcPortGuard> port_guard;
  std::unique_ptr<HttpServer> http;
  std::string grpc_address;
  std::string http_address;
  absl::Time started = absl::Now();
  std::atomic<bool> ready{false};
  bool shut_down = false;

  guts::diag::v1::CollectorInfo Info() const {
    guts::diag::v1::CollectorInfo info;
    absl::Time now = absl::Now();
    CollectorHealth health = writer->Health(now);
    info.set_version(kVersion);
    info.set_now_unix_ms(absl::ToUnixMillis(now));
    info.set_streams_connected(static_cast<uint32_t>(agent_service->StreamsConnected()));
    info.set_ingest_snapshots_per_second(writer->SnapshotsPerSecond());
    info.set_ingest_lag_ms(absl::ToInt64Milliseconds(health.ingest_lag));
    info.set_degraded(health.overloaded);
    info.set_started_unix_ms(absl::ToUnixMillis(started));
    return info;
  }

  // The analysis' incidents, nodes, topology and the alert pusher as series (fleet_series.h).
  std::string FleetSeries(const guts::diag::v1::FleetStatus& fleet_now) const {
    std::shared_ptr<const AnalysisResult> latest = analysis->Latest();
    std::optional<AlertPusherFigures> pushing;
    if (alerts) pushing = alerts->Figures();
    return RenderFleetSeries(fleet_now, latest ? &latest->topology : nullptr,
                             pushing ? &*pushing : nullptr, config.fleet_series);
  }

  // Builds and starts the gRPC server on `addr`; the bound port in *port.
  std::unique_ptr<grpc::Server> BuildServer(const std::string& addr, int* port) {
    grpc::ServerBuilder builder;
    access->Install(config.tls.insecure, *creds, builder);
    builder.AddListeningPort(addr, creds, port);
    builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
    // Bounds per connection: calls at once, time to finish the handshake, time without calls.
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               static_cast<int>(config.max_streams_per_connection));
    builder.AddChannelArgument(
        GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
        static_cast<int>(absl::ToInt64Milliseconds(config.handshake_timeout)));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_IDLE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(config.connection_idle_timeout)));
    grpc::ResourceQuota quota("guts-collector");
    quota.Resize(static_cast<size_t>(config.grpc_memory_bytes));
    builder.SetResourceQuota(quota);
    builder.RegisterService(agent_service.get());
    builder.RegisterService(fleet_service.get());
    builder.RegisterService(maintenance_service.get());
    return builder.BuildAndStart();
  }

  // The gRPC accept loop died (descriptor exhaustion): a new server on the same port.
  absl::Status RestartServer() {
    absl::MutexLock lock(&server_mu);
    if (shut_down) return absl::OkStatus();
    agent_service->CloseAll();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server.reset();
    int port = 0;
    server = BuildServer(grpc_address, &port);
    if (server == nullptr || port == 0) {
      return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", grpc_address));
    }
    return absl::OkStatus();
  }

  // Why the collector cannot do its job right now ("" when it can).
  std::string NotReadyReason() const {
    if (!ready.load()) return "starting or stopping";
    if (port_guard != nullptr && !port_guard->Accepting()) {
      return "the gRPC port does not accept connections";
    }
    if (writer->StoreFailingSince() != absl::InfiniteFuture()) return "the store cannot write";
    return "";
  }

  // Not live once not ready for longer than the grace: a restart is then the way out.
  bool Live() const {
    absl::Time since =
        std::min(port_guard != nullptr ? port_guard->NotAcceptingSince() : absl::InfiniteFuture(),
                 writer->StoreFailingSince());
    return absl::Now() - since < config.unhealthy_grace;
  }

  // Admin endpoints answer loopback callers only (kubectl exec, the host itself): the HTTP
  // port is exposed for probes and scrapes, which need no role. With a tokens file they also
  // need an operator's bearer token. nullopt when `req` may go on; else the 403 to answer.
  std::optional<HttpResponse> RefuseAdmin(const HttpRequest& req) const {
    std::string why;
    if (!IsLoopbackAddress(req.remote_addr)) {
      why = "admin endpoints answer only loopback callers (127.0.0.1, ::1)";
    } else if (access->TokensEnabled()) {
      absl::StatusOr<Caller> caller =
          access->CallerOfAuthorization(req.header ? req.header("Authorization") : "");
      if (!caller.ok()) {
        why = absl::StrCat(req.path, " needs the operator role: ", caller.status().message());
      } else if (caller->role != "operator") {
        why = absl::StrCat(req.path, " needs the operator role; ", caller->principal, "'s role is ",
                           caller->role);
      }
    }
    if (why.empty()) return std::nullopt;
    spdlog::warn("refused POST {} from {}: {}", req.path, req.remote_addr, why);
    return HttpResponse{403, "text/plain", why + "\n"};
  }

  void RegisterHttp() {
    http->Get("/healthz", [this] {
      if (Live()) return HttpResponse{200, "text/plain", "ok\n"};
      return HttpResponse{503, "text/plain", "unhealthy: " + NotReadyReason() + "\n"};
    });
    http->Get("/readyz", [this] {
      std::string why = NotReadyReason();
      if (why.empty()) return HttpResponse{200, "text/plain", "ready\n"};
      return HttpResponse{503, "text/plain", "not ready: " + why + "\n"};
    });
    http->Get("/metrics", [this] {
      guts::diag::v1::FleetStatus fleet_now = fleet_service->FleetStatusNow();
      return HttpResponse{200, "text/plain; version=0.0.4",
                          metrics.Render(fleet_now, store->Figures()) + FleetSeries(fleet_now)};
    });
    http->Post("/admin/compact", [this](const HttpRequest& req) {
      if (std::optional<HttpResponse> refused = RefuseAdmin(req)) return *refused;
      spdlog::info("POST /admin/compact from {}", req.remote_addr);
      absl::Status s = store->Compact();
      if (!s.ok()) return HttpResponse{500, "text/plain", s.ToString() + "\n"};
      StoreFigures f = store->Figures();
      return HttpResponse{
          200, "text/plain",
          absl::StrCat("snapshots_sst_bytes ", f.snapshots_sst_bytes, "\nsnapshots_estimated_keys ",
                       f.snapshots_estimated_keys, "\n")};
    });
  }
};

Collector::Collector(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Collector::~Collector() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Collector>> Collector::Start(const CollectorConfig& config,
                                                            BundleRpcsFactory bundles) {
  absl::StatusOr<HostPort> grpc_hp = ListenAddress("--grpc-addr", config.grpc_addr);
  if (!grpc_hp.ok()) return grpc_hp.status();
  absl::StatusOr<HostPort> http_hp = ListenAddress("--http-addr", config.http_addr);
  if (!http_hp.ok()) return http_hp.status();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = ServerCredentials(config.tls);
  if (!creds.ok()) return creds.status();

  auto p = std::make_unique<Parts>();
  p->config = config;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open({.dir = config.data_dir,
                   .zstd_dict_bytes = config.zstd_dict_bytes,
                   .memtable_bytes = config.store_memtable_bytes});
  if (!store.ok()) return store.status();
  p->store = *std::move(store);
  if (absl::Status s = p->fleet.Restore(*p->store, absl::Now()); !s.ok()) return s;

  WriterOptions writer{.max_queue = config.max_queue,
                       .max_queue_bytes = config.max_queue_bytes,
                       .batch_linger = config.ingest_batch_linger};
  // The overload lag is measured against the nodes' silence windows, so it scales with them.
  writer.overload_lag *= config.analysis_time_scale;
  p->writer = std::make_unique<SnapshotWriter>(p->store.get(), &p->fleet, &p->metrics, writer);
  if (absl::Status s = p->writer->Start(); !s.ok()) return s;
  AnalysisLoopOptions analysis{.tick = config.tick,
                               .stall_threshold = config.stall_threshold,
                               .time_scale = config.analysis_time_scale,
                               .retention = config.retention,
                               .full_resolution = config.full_resolution,
                               .downsample_interval = config.downsample_interval};
  if (!config.alerting.endpoints.empty()) {
    absl::StatusOr<std::unique_ptr<AlertPusher>> pusher =
        AlertPusher::Start(p->store.get(), config.alerting);
    if (!pusher.ok()) return pusher.status();
    p->alerts = *std::move(pusher);
    analysis.after_tick = [pusher = p->alerts.get()](const AnalysisResult& r) {
      pusher->Observe(r.open_incidents, r.changed_incidents, r.at);
    };
    spdlog::info("pushing incidents to {} alert endpoint(s)", config.alerting.endpoints.size());
  }
  // Maintenance windows: the flags' and those declared at run time (gutsctl maintenance).
  absl::StatusOr<std::unique_ptr<MaintenanceDesk>> desk =
      MaintenanceDesk::Open(p->store.get(), config.maintenance_windows);
  if (!desk.ok()) return desk.status();
  p->maintenance = *std::move(desk);
  p->maintenance_service = std::make_unique<MaintenanceServiceImpl>(p->maintenance.get());
  analysis.maintenance_now = [desk = p->maintenance.get()] {
    return desk->ForAnalysis(absl::Now());
  };
  if (!config.validators_file.empty()) {
    absl::StatusOr<std::vector<ValidatorEntry>> validators =
        LoadValidatorsFile(config.validators_file);
    if (!validators.ok()) return validators.status();
    analysis.operator_validators = *std::move(validators);
  }
  analysis.collector_health = [writer = p->writer.get()](absl::Time now) {
    return writer->Health(now);
  };
  p->analysis = std::make_unique<AnalysisLoop>(p->store.get(), &p->fleet, std::move(analysis));
  if (absl::Status s = p->analysis->Start(); !s.ok()) return s;

  p->agent_service = std::make_unique<AgentServiceImpl>(
      p->writer.get(), &p->fleet, &p->metrics,
      AgentServiceOptions{
          .require_client_identity = !config.tls.insecure,
          .limits = SnapshotLimits{.max_past = config.retention},
          .rate_limit = {.per_second = config.max_snapshots_per_second_per_agent,
                         .burst = static_cast<double>(config.max_snapshot_burst_per_agent)},
          .max_stream_inflight_bytes = static_cast<size_t>(config.max_stream_inflight_bytes)});
  Parts* raw = p.get();
  p->fleet_service = std::make_unique<FleetServiceImpl>(
      p->store.get(), &p->fleet, p->analysis.get(), [raw] { return raw->Info(); },
      QueryLimits{.max_total = config.max_queries, .max_per_caller = config.max_queries_per_caller},
      [&config] {
        QueryLimits bundle_calls = FleetServiceImpl::DefaultBundleCallLimits();
        bundle_calls.max_total = config.max_bundle_calls;
        bundle_calls.max_per_caller = config.max_bundle_calls_per_caller;
        return bundle_calls;
      }());
  p->fleet_service->SetLossSource(
      [raw](const std::string& node) { return raw->writer->LossOf(node); });
  if (bundles) {
    p->bundles = bundles(p->store.get(), p->agent_service.get());
    p->agent_service->SetBundleRpcs(p->bundles.get());
    p->fleet_service->SetBundleRpcs(p->bundles.get());
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  absl::StatusOr<std::unique_ptr<AccessControl>> access =
      AccessControl::Create({.tokens_file = config.tokens_file, .audit_log = config.audit_log});
  if (!access.ok()) return access.status();
  p->access = *std::move(access);
  p->creds = *creds;
  int port = 0;
  {
    absl::MutexLock lock(&p->server_mu);
    p->server = p->BuildServer(config.grpc_addr, &port);
    if (p->server == nullptr || port == 0) {
      return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", config.grpc_addr));
    }
  }
  p->grpc_address = FormatHostPort(grpc_hp->host, static_cast<uint16_t>(port));
  p->port_guard = std::make_unique<GrpcPortGuard>(
      GrpcPortGuardOptions{.host = grpc_hp->host,
                           .port = port,
                           .max_connections = config.max_connections,
                           .max_connections_per_peer = config.max_connections_per_peer},
      [raw] { return raw->RestartServer(); });

  p->http = std::make_unique<HttpServer>(HttpServerOptions{.threads = config.http_threads});
  p->RegisterHttp();
  if (absl::Status s = p->http->Start(http_hp->host, http_hp->port); !s.ok()) {
    absl::MutexLock lock(&p->server_mu);
    p->server->Shutdown();
    return s;
  }
  p->port_guard->Start();
  p->http_address = FormatHostPort(http_hp->host, static_cast<uint16_t>(p->http->port()));
  p->ready = true;
  return std::unique_ptr<Collector>(new Collector(std::move(p)));
}

void Collector::Shutdown() {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.ready = false;
  p.port_guard->Stop();
  {
    absl::MutexLock lock(&p.server_mu);
    p.shut_down = true;
    p.agent_service->CloseAll();
    p.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  p.writer->Stop();
  p.analysis->Stop();
  if (p.alerts) p.alerts->Stop();
  p.http->Stop();
}

std::string Collector::grpc_address() const { return parts_->grpc_address; }
std::string Collector::http_address() const { return parts_->http_address; }

}  // namespace guts::collector
