// BundleDeskService: the bundle RPCs of FleetService and AgentService (BundleRpcs) on gRPC's
// callback API, backed by a BundleDesk.
//
// UploadBundle and BundleUploadOffset are reactors that never wait. CollectBundle and
// DownloadBundle run the desk's blocking loop on a thread of their own per call (an operator
// command, rare), handing each message to the reactor and waiting for its write to finish:
// a slow client slows only its own thread.
//
// Thread-safe. The desk must outlive the service and every call in flight.
//
// Example:
//   BundleDeskService bundles(desk.get());
//   ingest.SetBundleRpcs(&bundles);
//   query.SetBundleRpcs(&bundles);
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_DESK_SERVICE_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_DESK_SERVICE_H_

#include "collector/bundle_rpcs.h"
#include "collector/bundles/bundle_desk.h"

namespace guts::collector {

class BundleDeskService final : public BundleRpcs {
 public:
  explicit BundleDeskService(BundleDesk* desk) : desk_(desk) {}

  grpc::ServerWriteReactor<guts::diag::v1::CollectProgress>* CollectBundle(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::CollectBundleRequest* request) override;
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* context,
                                        const guts::diag::v1::ListBundlesRequest* request,
                                        guts::diag::v1::BundleList* response) override;
  grpc::ServerWriteReactor<guts::diag::v1::BundleData>* DownloadBundle(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::DownloadBundleRequest* request) override;
  grpc::ServerReadReactor<guts::diag::v1::BundleChunk>* UploadBundle(
      grpc::CallbackServerContext* context,
      guts::diag::v1::UploadBundleResponse* response) override;
  grpc::ServerUnaryReactor* BundleUploadOffset(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::BundleUploadOffsetRequest* request,
      guts::diag::v1::UploadBundleResponse* response) override;
  void OnCommandStatus(const std::string& node_id,
                       const guts::diag::v1::CommandStatus& status) override;

 private:
  BundleDesk* const desk_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_DESK_SERVICE_H_
