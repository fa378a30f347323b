#include "collector/bundles/collector_bundles.h"

#include "collector/bundles/bundle_desk_service.h"
#include "collector/bundles/store_bundle_storage.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {
namespace v1 = ::guts::diag::v1;

// Owns the parts and forwards to the reactors; the stream registry's hook reaches the desk.
class CollectorBundles final : public BundleRpcs {
 public:
  CollectorBundles(std::unique_ptr<StoreBundleStorage> storage, std::unique_ptr<BundleDesk> desk)
      : storage_(std::move(storage)), desk_(std::move(desk)), service_(desk_.get()) {}

  grpc::ServerWriteReactor<v1::CollectProgress>* CollectBundle(
      grpc::CallbackServerContext* c, const v1::CollectBundleRequest* r) override {
    return service_.CollectBundle(c, r);
  }
  grpc::ServerUnaryReactor* ListBundles(grpc::CallbackServerContext* c,
                                        const v1::ListBundlesRequest* r,
                                        v1::BundleList* out) override {
    return service_.ListBundles(c, r, out);
  }
  grpc::ServerWriteReactor<v1::BundleData>* DownloadBundle(
      grpc::CallbackServerContext* c, const v1::DownloadBundleRequest* r) override {
    return service_.DownloadBundle(c, r);
  }
  grpc::ServerReadReactor<v1::BundleChunk>* UploadBundle(grpc::CallbackServerContext* c,
                                                         v1::UploadBundleResponse* out) override {
    return service_.UploadBundle(c, out);
  }
  grpc::ServerUnaryReactor* BundleUploadOffset(grpc::CallbackServerContext* c,
                                               const v1::BundleUploadOffsetRequest* r,
                                               v1::UploadBundleResponse* out) override {
    return service_.BundleUploadOffset(c, r, out);
  }
  void OnCommandStatus(const std::string& node, const v1::CommandStatus& s) override {
    desk_->OnCommandStatus(node, s);
  }
  void OnNodeConnected(const std::string& node) override { desk_->OnNodeConnected(node); }

 private:
  std::unique_ptr<StoreBundleStorage> storage_;
  std::unique_ptr<BundleDesk> desk_;
  BundleDeskService service_;
};

}  // namespace

std::unique_ptr<BundleRpcs> MakeCollectorBundles(Store* store, AgentServiceImpl* agents,
                                                 BundleDeskOptions options) {
  auto storage = std::make_unique<StoreBundleStorage>(store);
  absl::StatusOr<std::unique_ptr<BundleDesk>> desk = BundleDesk::Create(
      storage.get(),
      [agents](const std::string& node, const v1::Command& cmd) {
        return agents->SendCommand(node, cmd);
      },
      [store] {
        std::vector<std::string> nodes;
        absl::StatusOr<std::vector<LatestNode>> latest = store->LatestAll();
        if (latest.ok()) {
          for (const LatestNode& n : *latest) nodes.push_back(n.node_id);
        }
        return nodes;
      },
      std::move(options));
  if (!desk.ok()) {
    spdlog::error("bundles disabled: {}", desk.status().ToString());
    return nullptr;
  }
  return std::make_unique<CollectorBundles>(std::move(storage), *std::move(desk));
}

}  // namespace guts::collector
