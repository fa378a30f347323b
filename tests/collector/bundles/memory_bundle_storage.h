// BundleStorage in memory, for tests of the bundle room (the real one is the collector's Store).
#pragma once

#include <map>
#include <mutex>

#include "collector/bundles/bundle_storage.h"

namespace guts::collector::testing {

class MemoryBundleStorage final : public BundleStorage {
 public:
  absl::Status PutBundleInfo(const guts::diag::v1::BundleInfo& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    infos_[info.id()] = info;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<guts::diag::v1::BundleInfo>> AllBundles() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<guts::diag::v1::BundleInfo> all;
    for (const auto& [id, info] : infos_) all.push_back(info);
    return all;
  }
  absl::Status AppendBundleData(const std::string& id, uint64_t offset,
                                const std::string& bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& data = data_[id];
    if (offset != data.size()) return absl::FailedPreconditionError("append out of order");
    data += bytes;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ReadBundleData(const std::string& id, uint64_t offset,
                                             size_t max_bytes) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = data_.find(id);
    if (it == data_.end() || offset >= it->second.size()) return std::string();
    return it->second.substr(offset, max_bytes);
  }
  absl::Status DeleteBundle(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    infos_.erase(id);
    data_.erase(id);
    return absl::OkStatus();
  }
  std::string Data(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = data_.find(id);
    return it == data_.end() ? "" : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, guts::diag::v1::BundleInfo> infos_;
  std::map<std::string, std::string> data_;
};

}  // namespace guts::collector::testing
