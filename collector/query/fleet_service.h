// FleetServiceImpl: the collector's FleetService — fleet status, node detail and history,
// topology and incidents. Bundle RPCs go to the BundleRpcs the bundle room provides
// (UNIMPLEMENTED without one).
//
// Errors: NOT_FOUND for an unknown node or incident; INVALID_ARGUMENT for a malformed request
// (bad node id, from after to, negative step); INTERNAL when the store fails;
// RESOURCE_EXHAUSTED when the collector or the caller already runs as many queries as
// `query_limits` allow, or as many CollectBundle and DownloadBundle calls as `bundle_limits`
// allow (query_admission.h); INVALID_ARGUMENT for a ListIncidents page token it did not write.
//
// Example:
//   FleetServiceImpl fleet_service(&store, &fleet, &analysis, [&] { return collector_info; });
//   fleet_service.SetBundleRpcs(bundles.get());  // optional; before the server starts
//   builder.RegisterService(&fleet_service);
//
// Thread-safe.
#pragma once

#include <functional>

#include "collector/analysis/latest_analysis.h"
#include "collector/bundle_rpcs.h"
#include "collector/fleet/fleet_state.h"
#include "collector/query/query_admission.h"
#include "collector/store/store.h"
#include "guts/diag/v1/fleet.grpc.pb.h"

namespace guts::collector {

class FleetServiceImpl final : public guts::diag::v1::FleetService::CallbackService {
 public:
  // Every pointer must outlive the service; `collector_info` is called per status request.
  FleetServiceImpl(const Store* store, const FleetState* fleet, const LatestAnalysis* analysis,
                   std::function<guts::diag::v1::CollectorInfo()> collector_info,
                   QueryLimits query_limits = {},
                   QueryLimits bundle_limits = DefaultBundleCallLimits());

  // The caps on CollectBundle and DownloadBundle calls at once (--max-bundle-calls,
  // --max-bundle-calls-per-caller): counted apart from queries because a collect runs for
  // minutes (it waits for the agents) and each call holds a thread.
  static QueryLimits DefaultBundleCallLimits() {
    return {.max_total = 16,
            .max_per_caller = 4,
            .what = "bundle calls",
            .total_flag = "--max-bundle-calls",
            .per_caller_flag = "--max-bundle-calls-per-caller"};
  }

  // REQUIRES: called before the server starts.
  void SetBundleRpcs(BundleRpcs* bundles) { bundles_ = bundles; }
  // Where GetNode finds the history a node is known to have lost (the ingest writer).
  // REQUIRES: called before the server starts.
  void SetLossSource(std::function<guts::diag::v1::SnapshotLoss(const std::string&)> loss) {
    loss_ = std::move(loss);
  }

  // The fleet status as GetFleetStatus answers it (also used by /metrics).
  guts::diag::v1::FleetStatus FleetStatusNow() const;

  grpc::ServerUnaryReactor* GetFleetStatus(grpc::CallbackServerContext* context,
                                           const guts::diag::v1::FleetStatusRequest* request,
                                           guts::diag::v1::FleetStatus* response) override;
  grpc::ServerUnaryReactor* GetNode(grpc::CallbackServerContext* context,
                                    const guts::diag::v1::GetNodeRequest* request,
                                    guts::diag::v1::NodeDetail* response) override;
  grpc::ServerWriteReactor<guts::diag::v1::HistoryPoint>* GetNodeHistory(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::NodeHistoryRequest* request) override;
  grpc::ServerUnaryReactor* GetTopology(grpc::CallbackServerContext* context,
                                        const guts::diag::v1::TopologyRequest* request,
                                        guts::diag::v1::Topology* response) override;
  grpc::ServerUnaryReactor* ListIncidents(grpc::CallbackServerContext* context,
                                          const guts::diag::v1::ListIncidentsRequest* request,
                                          guts::diag::v1::IncidentList* response) override;
  grpc::ServerUnaryReactor* GetIncident(grpc::CallbackServerContext* context,
                                        const guts::diag::v1::GetIncidentRequest* request,
                                        guts::diag::v1::Incident* response) override;
  grpc::ServerWriteReactor<guts::diag::v1::CollectProgress>* CollectBundle(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::CollectBundleRequest* request) override;
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* context,
                                        const guts::diag::v1::ListBundlesRequest* request,
                                        guts::diag::v1::BundleList* response) override;
  grpc::ServerWriteReactor<guts::diag::v1::BundleData>* DownloadBundle(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::DownloadBundleRequest* request) override;

 private:
  const Store* const store_;
  const FleetState* const fleet_;
  const LatestAnalysis* const analysis_;
  const std::function<guts::diag::v1::CollectorInfo()> collector_info_;
  BundleRpcs* bundles_ = nullptr;
  std::function<guts::diag::v1::SnapshotLoss(const std::string&)> loss_;
  // A place for `rpc` under the bundle call caps, held by the bundle reactor until it is done.
  absl::StatusOr<BundleRpcs::CallSlot> AdmitBundleCall(const grpc::CallbackServerContext& context,
                                                       absl::string_view rpc);

  QueryAdmission admission_;
  QueryAdmission bundle_admission_;
};

}  // namespace guts::collector
