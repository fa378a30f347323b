// FleetClient: gutsctl's only door to the collector (FleetService over gRPC).
//
// Every call carries the configured deadline and returns an absl::Status whose message is
// written for the operator and says what to do, e.g.
//   UNAVAILABLE        "cannot reach the collector at 127.0.0.1:7400 (set --collector or
//                       GUTSCTL_COLLECTOR)"
//   NOT_FOUND          "no node named v9 (gutsctl fleet status lists them)"
//   PERMISSION_DENIED  "the collector refused: collecting bundles requires the operator role"
// The status code is the gRPC code, so callers can still branch on it.
//
// Thread-compatible: one FleetClient per thread (the underlying channel is shared safely).
//
// Example:
//   absl::StatusOr<std::unique_ptr<FleetClient>> client =
//       FleetClient::Connect({.collector = "127.0.0.1:7400", .tls = {.insecure = true}});
//   absl::StatusOr<v1::FleetStatus> status = (*client)->FleetStatus();
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls.h"
#include "grpcpp/support/status.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "guts/diag/v1/maintenance.grpc.pb.h"

namespace guts::ctl {

namespace v1 = ::guts::diag::v1;

struct ClientOptions {
  std::string collector = "127.0.0.1:7400";
  TlsOptions tls;
  // Per call (streams: for the first message and between messages, see each method).
  absl::Duration deadline = absl::Seconds(10);
};

// What the caller was after, so that errors can name it ("no node named v9").
struct Subject {
  std::string kind;  // "node", "incident", "bundle", or "" for the fleet
  std::string name;
  // The role the call needs, named when the collector refuses ("viewer" or "operator").
  std::string role = "viewer";
  std::string action;  // "reading the fleet", "collecting bundles"
};

// The gRPC status turned into an operator's message (see the file comment).
absl::Status OperatorError(const grpc::Status& status, absl::string_view collector,
                           const Subject& subject, absl::Duration deadline);

class FleetClient {
 public:
  // Builds the channel (TLS from options.tls, or plain text when insecure). Connecting is
  // lazy: an unreachable collector shows up on the first call. INVALID_ARGUMENT when the TLS
  // files are missing or unreadable.
  static absl::StatusOr<std::unique_ptr<FleetClient>> Connect(const ClientOptions& options);

  absl::StatusOr<v1::FleetStatus> FleetStatus();
  absl::StatusOr<v1::NodeDetail> Node(const std::string& node_id);
  absl::StatusOr<std::vector<v1::HistoryPoint>> History(const v1::NodeHistoryRequest& request);
  absl::StatusOr<v1::Topology> Topology();
  absl::StatusOr<v1::IncidentList> Incidents(const v1::ListIncidentsRequest& request);
  absl::StatusOr<v1::Incident> Incident(const std::string& id);
  absl::StatusOr<v1::BundleList> Bundles(const v1::ListBundlesRequest& request);

  // Streams progress to `on_progress` until the collector ends the stream. The whole call is
  // bounded by `deadline` (the per-node timeout plus slack, chosen by the caller).
  absl::Status CollectBundle(const v1::CollectBundleRequest& request, absl::Duration deadline,
                             const std::function<void(const v1::CollectProgress&)>& on_progress);

  // Streams the archive's chunks in order to `on_chunk`; an error from on_chunk cancels the
  // download and is returned as is.
  absl::Status DownloadBundle(const v1::DownloadBundleRequest& request, absl::Duration deadline,
                              const std::function<absl::Status(const v1::BundleData&)>& on_chunk);

  // Maintenance windows (MaintenanceService): declaring and ending need the operator role.
  absl::StatusOr<v1::MaintenanceWindow> DeclareMaintenance(
      const v1::DeclareMaintenanceRequest& request);
  absl::StatusOr<v1::MaintenanceList> Maintenance(bool include_past);
  absl::StatusOr<v1::MaintenanceWindow> EndMaintenance(const std::string& id);

  const std::string& collector() const { return options_.collector; }

 private:
  FleetClient(ClientOptions options, std::shared_ptr<grpc::Channel> channel);
  void Prepare(grpc::ClientContext& context, absl::Duration deadline) const;

  ClientOptions options_;
  std::unique_ptr<v1::FleetService::Stub> stub_;
  std::unique_ptr<v1::MaintenanceService::Stub> maintenance_stub_;
};

}  // namespace guts::ctl
