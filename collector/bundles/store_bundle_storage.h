// StoreBundleStorage: BundleStorage on the collector's Store (collector/store/).
//
// Thread-safe (the Store is). Example:
//   auto bundles = BundleRpcsImpl::Create(std::make_unique<StoreBundleStorage>(store.get()),
//                                         send_command, list_nodes, {});
#ifndef GUTS_COLLECTOR_BUNDLES_STORE_BUNDLE_STORAGE_H_
#define GUTS_COLLECTOR_BUNDLES_STORE_BUNDLE_STORAGE_H_

#include "collector/bundles/bundle_storage.h"
#include "collector/store/store.h"

namespace guts::collector {

class StoreBundleStorage final : public BundleStorage {
 public:
  // `store` must outlive this object.
  explicit StoreBundleStorage(Store* store) : store_(store) {}

  absl::Status PutBundleInfo(const guts::diag::v1::BundleInfo& info) override {
    return store_->PutBundleInfo(info);
  }
  absl::StatusOr<std::vector<guts::diag::v1::BundleInfo>> AllBundles() const override {
    return store_->ListBundles("", 0);
  }
  absl::Status AppendBundleData(const std::string& id, uint64_t offset,
                                const std::string& bytes) override {
    return store_->AppendBundleData(id, offset, bytes);
  }
  absl::StatusOr<std::string> ReadBundleData(const std::string& id, uint64_t offset,
                                             size_t max_bytes) const override {
    return store_->ReadBundleData(id, offset, max_bytes);
  }
  absl::Status DeleteBundle(const std::string& id) override { return store_->DeleteBundle(id); }

 private:
  Store* const store_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_STORE_BUNDLE_STORAGE_H_
