// BundleUploads: the agents' uploads of the bundles they built. Resumable: chunks of at most
// kBundleChunkBytes, each at exactly the offset the collector holds (an agent that lost its
// stream asks UploadOffset and resumes there). A node uploads only its own bundles. The last
// chunk carries the archive's size and SHA-256; the archive is then checked
// (CheckUploadedArchive) before the bundle is marked complete, and a failed check marks it
// failed.
//
// Thread-safe. Chunks are stored one at a time, so two streams of one bundle cannot interleave
// offsets; the check of a finished archive runs outside that order (other uploads go on).
//
// Example (an upload reactor, per chunk read):
//   absl::StatusOr<v1::UploadBundleResponse> r = uploads.AcceptChunk(PeerCommonName(ctx), chunk);
#ifndef GUTS_COLLECTOR_BUNDLES_BUNDLE_UPLOADS_H_
#define GUTS_COLLECTOR_BUNDLES_BUNDLE_UPLOADS_H_

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "collector/bundles/bundle_catalog.h"
#include "guts/diag/v1/agent.pb.h"

namespace guts::collector {

struct BundleUploadOptions {
  uint64_t max_bundle_bytes = 2ull << 30;
  // Scratch space for checking a finished archive's entries (one file at a time).
  std::string temp_dir = "/tmp";
};

class BundleUploads {
 public:
  // `catalog` must outlive this object.
  BundleUploads(BundleCatalog* catalog, BundleUploadOptions options)
      : catalog_(catalog), options_(std::move(options)) {}

  // One uploaded chunk. `peer_node_id` is the stream's verified identity ("" without mTLS; the
  // chunk's node_id is then trusted). A last chunk blocks while its archive is checked.
  // INVALID_ARGUMENT: chunk over kBundleChunkBytes, total size mismatch, unsafe archive entry
  // (bundle failed); DATA_LOSS: SHA-256 mismatch (bundle failed); FAILED_PRECONDITION: offset
  // differs from the stored offset (resume from UploadOffset) or the bundle is not uploadable;
  // PERMISSION_DENIED: another node's bundle; NOT_FOUND: unknown bundle; UNAVAILABLE: the
  // bundle's archive is being checked; RESOURCE_EXHAUSTED: over max_bundle_bytes (bundle
  // failed).
  absl::StatusOr<guts::diag::v1::UploadBundleResponse> AcceptChunk(
      const std::string& peer_node_id, const guts::diag::v1::BundleChunk& chunk);

  // Where an upload resumes: the bytes stored, and whether the bundle is complete. NOT_FOUND,
  // PERMISSION_DENIED as for AcceptChunk; FAILED_PRECONDITION for a failed or expired bundle.
  absl::StatusOr<guts::diag::v1::UploadBundleResponse> UploadOffset(
      const std::string& peer_node_id,
      const guts::diag::v1::BundleUploadOffsetRequest& request) const;

 private:
  BundleCatalog* const catalog_;
  const BundleUploadOptions options_;
  // Held from a chunk's checks until it is stored.
  std::mutex mu_;
  // Bundles whose archive is being checked; guarded by mu_.
  std::set<std::string> checking_;
};

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_BUNDLE_UPLOADS_H_
