// BundleRpcsImpl: the bundle RPCs of FleetService and AgentService (BundleRpcs) on gRPC's
// callback API. It owns the bundle room's parts and hands each RPC to the one that serves it:
//   - BundleCatalog: the bundles held, listing, downloads, retention (bundle_catalog.h);
//   - BundleRequests: the request queue and its dispatch to the agents (bundle_requests.h);
//   - BundleUploads: the agents' uploads and their check (bundle_uploads.h).
// A ticker thread expires pending requests and applies retention every second.
//
// UploadBundle and BundleUploadOffset are reactors that never wait; the check of a finished
// archive runs on the ArchiveCheckQueue's threads (a bounded number, with a bounded line).
// CollectBundle and DownloadBundle run their blocking loop on a thread of their own per call (an
// operator command, rare), handing each message to the reactor and waiting for its write to finish:
// a slow client slows only its own thread. How many run at once is capped by the caller
// (FleetService's bundle call caps); each holds its CallSlot until gRPC is done with it.
//
// Thread-safe. The object must outlive every call in flight.
//
// Example (collector/bundles/collector_bundles.cc does this on the collector's Store):
//   absl::StatusOr<std::unique_ptr<BundleRpcsImpl>> bundles = BundleRpcsImpl::Create(
//       std::make_unique<StoreBundleStorage>(store),
//       [&](const std::string& node, const v1::Command& c) {
//         return agent_service.SendCommand(node, c);
//       },
//       [&] { return known_nodes; }, {});
//   agent_service.SetBundleRpcs(bundles->get());
//   fleet_service.SetBundleRpcs(bundles->get());
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_RPCS_IMPL_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_RPCS_IMPL_H_

#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "collector/bundle_rpcs.h"
#include "collector/bundles/archive_check_queue.h"
#include "collector/bundles/bundle_catalog.h"
#include "collector/bundles/bundle_requests.h"
#include "collector/bundles/bundle_storage.h"
#include "collector/bundles/bundle_uploads.h"

namespace guts::collector {

struct BundleOptions {
  BundleRequestOptions requests;
  BundleUploadOptions uploads;
  // Checks of finished uploads at once, and waiting (archive_check_queue.h).
  ArchiveCheckLimits archive_checks;
  // Bundles older than this are deleted.
  absl::Duration retention = absl::Hours(168);
  // Run the expiry/retention ticker thread (tests call Tick themselves).
  bool start_ticker = true;
};

class BundleRpcsImpl final : public BundleRpcs {
 public:
  // Loads the known bundles from `storage`; the storage's error when they cannot be read.
  static absl::StatusOr<std::unique_ptr<BundleRpcsImpl>> Create(
      std::unique_ptr<BundleStorage> storage, BundleRequests::SendCommand send_command,
      BundleRequests::ListNodes list_nodes, BundleOptions options);
  ~BundleRpcsImpl() override;  // stops the ticker

  grpc::ServerWriteReactor<guts::diag::v1::CollectProgress>* CollectBundle(
      grpc::CallbackServerContext* context, const guts::diag::v1::CollectBundleRequest* request,
      CallSlot slot) override;
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* context,
                                        const guts::diag::v1::ListBundlesRequest* request,
                                        guts::diag::v1::BundleList* response) override;
  grpc::ServerWriteReactor<guts::diag::v1::BundleData>* DownloadBundle(
      grpc::CallbackServerContext* context, const guts::diag::v1::DownloadBundleRequest* request,
      CallSlot slot) override;
  grpc::ServerReadReactor<guts::diag::v1::BundleChunk>* UploadBundle(
      grpc::CallbackServerContext* context,
      guts::diag::v1::UploadBundleResponse* response) override;
  grpc::ServerUnaryReactor* BundleUploadOffset(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::BundleUploadOffsetRequest* request,
      guts::diag::v1::UploadBundleResponse* response) override;
  void OnCommandStatus(const std::string& node_id,
                       const guts::diag::v1::CommandStatus& status) override;
  void OnNodeConnected(const std::string& node_id) override;

  // Expires pending requests and applies retention as of `now` (what the ticker does).
  void Tick(absl::Time now);

  // The uploads, for tests that feed chunks without a stream.
  BundleUploads& uploads() { return uploads_; }

 private:
  BundleRpcsImpl(std::unique_ptr<BundleStorage> storage, std::unique_ptr<BundleCatalog> catalog,
                 BundleRequests::SendCommand send_command, BundleRequests::ListNodes list_nodes,
                 const BundleOptions& options);

  const std::unique_ptr<BundleStorage> storage_;
  const std::unique_ptr<BundleCatalog> catalog_;
  BundleRequests requests_;
  BundleUploads uploads_;
  // Declared after uploads_: destroyed first, so no check outlives what it checks into.
  ArchiveCheckQueue archive_checks_;
  absl::Notification stopping_;
  std::thread ticker_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_RPCS_IMPL_H_
