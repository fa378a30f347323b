// BundleCatalog: the bundles the collector holds. One record per bundle: its BundleInfo (state,
// sizes, SHA-256, summary; persisted through BundleStorage, so the list survives a restart) and
// what the operator is shown while it is built (the request sent to the agent, the sources done,
// the last message; kept in memory only). Lists them newest first, serves a complete bundle back
// in chunks, and deletes bundles older than the retention.
//
// Every change goes through Update, which persists the record, bumps its revision and wakes
// WaitForChange. Appends of a bundle's bytes and retention's deletes never interleave: a bundle
// is never removed in the middle of a stored chunk, and no chunk is stored after its removal.
//
// Thread-safe. Update's `change` runs under the catalog's lock: it must not call the catalog.
//
// Example:
//   auto catalog = BundleCatalog::Load(&storage, absl::Hours(168));
//   (*catalog)->Add(record);
//   (*catalog)->Update(id, [](BundleRecord& r) {
//     r.info.set_state(v1::BUNDLE_RUNNING);
//     return true;
//   });
//   (*catalog)->ApplyRetention(absl::Now());
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_CATALOG_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_CATALOG_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/bundles/bundle_storage.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

// Chunks of a bundle's bytes are at most this long, both ways (the protocol's contract).
inline constexpr size_t kBundleChunkBytes = 1 << 20;

// True for COMPLETE, FAILED and EXPIRED: nothing changes such a bundle any more.
bool BundleStateIsFinal(guts::diag::v1::BundleState state);

struct BundleRecord {
  guts::diag::v1::BundleInfo info;
  // The request as sent to the agent (sent again when the node reconnects).
  guts::diag::v1::BundleRequest request;
  uint32_t sources_done = 0;
  uint32_t sources_total = 0;
  // The last progress line for the operator.
  std::string message;
  // Bumped by every Update, so a watcher sees only what changed.
  uint64_t revision = 0;
};

class BundleCatalog {
 public:
  // Loads the known bundles from `storage` (which must outlive the catalog); the storage's error
  // when they cannot be read.
  static absl::StatusOr<std::unique_ptr<BundleCatalog>> Load(BundleStorage* storage,
                                                             absl::Duration retention);

  // Adds a new record and persists it. REQUIRES: no record with the same id.
  void Add(BundleRecord record);

  // Calls `change` on the record of `id`; when it returns true the record is persisted (a failed
  // write is retried by the record's next change) and watchers are woken. False for an unknown
  // id or when `change` returned false.
  bool Update(const std::string& id, const std::function<bool(BundleRecord&)>& change);

  // A copy of the record of `id`; nullopt for an unknown id.
  std::optional<BundleRecord> Find(const std::string& id) const;
  // Copies of the records `matches` accepts, by id.
  std::vector<BundleRecord> Matching(const std::function<bool(const BundleRecord&)>& matches) const;

  // Counts changes: WaitForChange(seen, ...) returns as soon as the count differs from `seen`,
  // or after `timeout`.
  uint64_t Changes() const;
  void WaitForChange(uint64_t seen, absl::Duration timeout) const;

  // Stores `bytes` at `offset` of the bundle's archive. NOT_FOUND once the bundle is gone
  // (retention); the storage's error otherwise.
  absl::Status AppendData(const std::string& id, uint64_t offset, const std::string& bytes);
  // Up to `max_bytes` of the stored archive from `offset`; empty past the end.
  absl::StatusOr<std::string> ReadData(const std::string& id, uint64_t offset,
                                       size_t max_bytes) const;

  // Newest first (by request time, then id), of one node when request.node_id is set, at most
  // request.limit when it is not 0.
  guts::diag::v1::BundleList List(const guts::diag::v1::ListBundlesRequest& request) const;

  // Streams a complete bundle from request.offset in chunks of at most kBundleChunkBytes; the
  // first message carries the BundleInfo. NOT_FOUND (unknown id), FAILED_PRECONDITION (not
  // complete), OUT_OF_RANGE (offset past the end), DATA_LOSS (stored bytes shorter than the
  // size), CANCELLED when `emit` returns false. Blocks until done.
  absl::Status Download(const guts::diag::v1::DownloadBundleRequest& request,
                        const std::function<bool(const guts::diag::v1::BundleData&)>& emit) const;

  // Deletes, record and bytes, every bundle requested more than the retention before `now`.
  // A bundle whose delete fails stays listed and is tried again next time.
  void ApplyRetention(absl::Time now);

 private:
  BundleCatalog(BundleStorage* storage, absl::Duration retention)
      : storage_(storage), retention_(retention) {}

  BundleStorage* const storage_;
  const absl::Duration retention_;

  // Order: data_mu_ before mu_.
  // Serializes AppendData with retention's deletes.
  std::mutex data_mu_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, BundleRecord> records_;
  uint64_t changes_ = 0;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_CATALOG_H_
