#include "collector/bundles/collector_bundles.h"

#include "collector/bundles/bundle_rpcs_impl.h"
#include "collector/bundles/store_bundle_storage.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace v1 = ::guts::diag::v1;

std::unique_ptr<BundleRpcs> MakeCollectorBundles(Store* store, AgentServiceImpl* agents,
                                                 BundleOptions options) {
  absl::StatusOr<std::unique_ptr<BundleRpcsImpl>> bundles = BundleRpcsImpl::Create(
      std::make_unique<StoreBundleStorage>(store),
      [agents](const std::string& node, const v1::Command& cmd) {
        return agents->SendCommand(node, cmd);
      },
      [store] {
        absl::StatusOr<std::vector<std::string>> nodes = store->NodeIds();
        return nodes.ok() ? *std::move(nodes) : std::vector<std::string>();
      },
      std::move(options));
  if (!bundles.ok()) {
    spdlog::error("bundles disabled: {}", bundles.status().ToString());
    return nullptr;
  }
  return *std::move(bundles);
}

}  // namespace guts::collector
