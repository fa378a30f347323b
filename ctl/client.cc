#include "ctl/client.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "ctl/render/text.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace guts::ctl {
namespace {

std::string NotFoundMessage(const Subject& subject) {
  if (subject.kind == "node") {
    return absl::StrCat("no node named ", subject.name, " (gutsctl fleet status lists them)");
  }
  if (subject.kind == "incident") {
    return absl::StrCat("no incident with id ", subject.name,
                        " (gutsctl incidents --all lists them)");
  }
  if (subject.kind == "bundle") {
    return absl::StrCat("no bundle with id ", subject.name, " (gutsctl diag list lists them)");
  }
  return "not found";
}

}  // namespace

absl::Status OperatorError(const grpc::Status& status, absl::string_view collector,
                           const Subject& subject, absl::Duration deadline) {
  const absl::StatusCode code = FromGrpcStatus(status).code();
  std::string detail = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
      return absl::Status(code, absl::StrCat("cannot reach the collector at ", collector,
                                             " (set --collector or GUTSCTL_COLLECTOR): ", detail));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::Status(
          code, absl::StrCat("the collector at ", collector, " did not answer within ",
                             FormatAge(deadline), " (raise --deadline, or check the collector)"));
    case grpc::StatusCode::NOT_FOUND:
      return absl::Status(code, NotFoundMessage(subject));
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::Status(
          code,
          absl::StrCat("the collector refused: ", subject.action.empty() ? "this" : subject.action,
                       " requires the ", subject.role,
                       " role; use a client certificate that carries it (--tls-cert): ", detail));
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::Status(code, absl::StrCat("the collector at ", collector,
                                             " did not accept our credentials (check --tls-cert, "
                                             "--tls-key, --tls-ca): ",
                                             detail));
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::Status(code, absl::StrCat("the collector at ", collector,
                                             " does not support this yet (is it older than "
                                             "gutsctl?): ",
                                             detail));
    default:
      return absl::Status(code, absl::StrCat("the collector at ", collector, " answered ",
                                             absl::StatusCodeToString(code), ": ", detail));
  }
}

absl::StatusOr<std::unique_ptr<FleetClient>> FleetClient::Connect(const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls = ClientCredentials(options.tls);
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(options.collector, credentials);
  return std::unique_ptr<FleetClient>(new FleetClient(options, channel));
}

FleetClient::FleetClient(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      stub_(v1::FleetService::NewStub(channel)),
      maintenance_stub_(v1::MaintenanceService::NewStub(channel)) {}

absl::StatusOr<v1::MaintenanceWindow> FleetClient::DeclareMaintenance(
    const v1::DeclareMaintenanceRequest& request) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::MaintenanceWindow reply;
  grpc::Status status = maintenance_stub_->DeclareMaintenance(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector,
                         {.role = "operator", .action = "declaring maintenance"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<v1::MaintenanceList> FleetClient::Maintenance(bool include_past) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::ListMaintenanceRequest request;
  request.set_include_past(include_past);
  v1::MaintenanceList reply;
  grpc::Status status = maintenance_stub_->ListMaintenance(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector, {.action = "reading maintenance windows"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<v1::MaintenanceWindow> FleetClient::EndMaintenance(const std::string& id) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::EndMaintenanceRequest request;
  request.set_id(id);
  v1::MaintenanceWindow reply;
  grpc::Status status = maintenance_stub_->EndMaintenance(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector,
                         {.kind = "maintenance window",
                          .name = id,
                          .role = "operator",
                          .action = "ending maintenance"},
                         options_.deadline);
  }
  return reply;
}

void FleetClient::Prepare(grpc::ClientContext& context, absl::Duration deadline) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

absl::StatusOr<v1::FleetStatus> FleetClient::FleetStatus() {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::FleetStatus reply;
  grpc::Status status = stub_->GetFleetStatus(&context, v1::FleetStatusRequest(), &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector, {.action = "reading the fleet"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<v1::NodeDetail> FleetClient::Node(const std::string& node_id) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::GetNodeRequest request;
  request.set_node_id(node_id);
  v1::NodeDetail reply;
  grpc::Status status = stub_->GetNode(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector,
                         {.kind = "node", .name = node_id, .action = "reading a node"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<std::vector<v1::HistoryPoint>> FleetClient::History(
    const v1::NodeHistoryRequest& request) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  std::unique_ptr<grpc::ClientReader<v1::HistoryPoint>> reader =
      stub_->GetNodeHistory(&context, request);
  std::vector<v1::HistoryPoint> points;
  v1::HistoryPoint point;
  while (reader->Read(&point)) points.push_back(point);
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return OperatorError(
        status, options_.collector,
        {.kind = "node", .name = request.node_id(), .action = "reading a node's history"},
        options_.deadline);
  }
  return points;
}

absl::StatusOr<v1::Topology> FleetClient::Topology() {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::Topology reply;
  grpc::Status status = stub_->GetTopology(&context, v1::TopologyRequest(), &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector, {.action = "reading the peer graph"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<v1::IncidentList> FleetClient::Incidents(const v1::ListIncidentsRequest& request) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::IncidentList reply;
  grpc::Status status = stub_->ListIncidents(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector, {.action = "reading incidents"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<v1::Incident> FleetClient::Incident(const std::string& id) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::GetIncidentRequest request;
  request.set_id(id);
  v1::Incident reply;
  grpc::Status status = stub_->GetIncident(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector,
                         {.kind = "incident", .name = id, .action = "reading incidents"},
                         options_.deadline);
  }
  return reply;
}

absl::StatusOr<v1::BundleList> FleetClient::Bundles(const v1::ListBundlesRequest& request) {
  grpc::ClientContext context;
  Prepare(context, options_.deadline);
  v1::BundleList reply;
  grpc::Status status = stub_->ListBundles(&context, request, &reply);
  if (!status.ok()) {
    return OperatorError(status, options_.collector, {.action = "listing bundles"},
                         options_.deadline);
  }
  return reply;
}

absl::Status FleetClient::CollectBundle(
    const v1::CollectBundleRequest& request, absl::Duration deadline,
    const std::function<void(const v1::CollectProgress&)>& on_progress) {
  grpc::ClientContext context;
  Prepare(context, deadline);
  std::unique_ptr<grpc::ClientReader<v1::CollectProgress>> reader =
      stub_->CollectBundle(&context, request);
  v1::CollectProgress progress;
  while (reader->Read(&progress)) on_progress(progress);
  grpc::Status status = reader->Finish();
  return OperatorError(status, options_.collector,
                       {.role = "operator", .action = "collecting bundles"}, deadline);
}

absl::Status FleetClient::DownloadBundle(
    const v1::DownloadBundleRequest& request, absl::Duration deadline,
    const std::function<absl::Status(const v1::BundleData&)>& on_chunk) {
  grpc::ClientContext context;
  Prepare(context, deadline);
  std::unique_ptr<grpc::ClientReader<v1::BundleData>> reader =
      stub_->DownloadBundle(&context, request);
  v1::BundleData chunk;
  absl::Status failed;
  while (reader->Read(&chunk)) {
    failed = on_chunk(chunk);
    if (!failed.ok()) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!failed.ok()) return failed;
  return OperatorError(status, options_.collector,
                       {.kind = "bundle",
                        .name = request.bundle_id(),
                        .role = "operator",
                        .action = "downloading bundles"},
                       deadline);
}

}  // namespace guts::ctl
