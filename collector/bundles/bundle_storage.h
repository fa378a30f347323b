// BundleStorage: where the collector keeps bundle metadata and archive bytes.
//
// The collector's Store (collector/store/, RocksDB: `bundles` CF and blob-file `bundle_data`
// CF) provides these; StoreBundleStorage adapts it. Kept as an interface so the bundle room
// (BundleCatalog) depends on these five operations, not on the whole store.
//
// Implementations must be thread-safe.
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_STORAGE_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_STORAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "guts/diag/v1/bundle.pb.h"

namespace guts::collector {

class BundleStorage {
 public:
  virtual ~BundleStorage() = default;
  virtual absl::Status PutBundleInfo(const guts::diag::v1::BundleInfo& info) = 0;
  // Every bundle known, any order.
  virtual absl::StatusOr<std::vector<guts::diag::v1::BundleInfo>> AllBundles() const = 0;
  // Stores `bytes` at `offset`. REQUIRES: offset == bytes stored so far for `id`.
  virtual absl::Status AppendBundleData(const std::string& id, uint64_t offset,
                                        const std::string& bytes) = 0;
  // Up to `max_bytes` from `offset`; empty past the end.
  virtual absl::StatusOr<std::string> ReadBundleData(const std::string& id, uint64_t offset,
                                                     size_t max_bytes) const = 0;
  // Removes the metadata and the bytes of `id` (retention, failed uploads).
  virtual absl::Status DeleteBundle(const std::string& id) = 0;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_STORAGE_H_
