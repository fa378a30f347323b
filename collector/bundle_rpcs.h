// BundleRpcs: the bundle RPCs of FleetService and AgentService. The bundle room
// (collector/bundles/) implements them; the services that receive the calls (collector/query/
// for FleetService, collector/ingest/ for AgentService) delegate to the object handed to them
// and answer UNIMPLEMENTED without one. The interface sits above all three rooms so that none
// of them includes another for it.
//
// Example (collector/main.cc):
//   Collector::Start(config, [](Store* store, AgentServiceImpl* agents) {
//     return MakeCollectorBundles(store, agents, {});  // a BundleRpcs
//   });  // Start hands it to both services before the server starts
//
// Thread-safety: methods are called on gRPC's callback threads, concurrently; they must not
// block (return a reactor that finishes later).
#pragma once

#include <memory>

#include "grpcpp/grpcpp.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/bundle.pb.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

class BundleRpcs {
 public:
  virtual ~BundleRpcs() = default;

  // The caller's place under the bundle call caps (FleetService admits CollectBundle and
  // DownloadBundle before delegating); the reactor holds it until gRPC is done with the call
  // (OnDone), then drops it, which lets the next call in. May be null.
  using CallSlot = std::shared_ptr<void>;

  // FleetService.
  virtual grpc::ServerWriteReactor<guts::diag::v1::CollectProgress>* CollectBundle(
      grpc::CallbackServerContext* context, const guts::diag::v1::CollectBundleRequest* request,
      CallSlot slot) = 0;
  virtual grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* context,
                                                const guts::diag::v1::ListBundlesRequest* request,
                                                guts::diag::v1::BundleList* response) = 0;
  virtual grpc::ServerWriteReactor<guts::diag::v1::BundleData>* DownloadBundle(
      grpc::CallbackServerContext* context, const guts::diag::v1::DownloadBundleRequest* request,
      CallSlot slot) = 0;

  // AgentService.
  virtual grpc::ServerReadReactor<guts::diag::v1::BundleChunk>* UploadBundle(
      grpc::CallbackServerContext* context, guts::diag::v1::UploadBundleResponse* response) = 0;
  virtual grpc::ServerUnaryReactor* BundleUploadOffset(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::BundleUploadOffsetRequest* request,
      guts::diag::v1::UploadBundleResponse* response) = 0;

  // A CommandStatus an agent sent on its Connect stream. Called on the stream's callback
  // thread; must not block.
  virtual void OnCommandStatus(const std::string& node_id,
                               const guts::diag::v1::CommandStatus& status) = 0;

  // The node's agent said Hello (after its HelloAck was queued): queued requests go out now.
  // Called on the stream's callback thread; must not block.
  virtual void OnNodeConnected(const std::string& /*node_id*/) {}
};

}  // namespace guts::collector
