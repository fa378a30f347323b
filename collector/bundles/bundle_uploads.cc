#include "collector/bundles/bundle_uploads.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/bundles/uploaded_archive_check.h"

namespace guts::collector {
namespace v1 = ::guts::diag::v1;
namespace {

void MarkFailed(BundleCatalog* catalog, const std::string& id, const std::string& error) {
  catalog->Update(id, [&](BundleRecord& r) {
    if (BundleStateIsFinal(r.info.state())) return false;
    r.info.set_state(v1::BUNDLE_FAILED);
    r.info.set_error(error);
    r.info.set_completed_unix_ms(absl::ToUnixMillis(absl::Now()));
    r.message = error;
    return true;
  });
}

}  // namespace

absl::StatusOr<v1::UploadBundleResponse> BundleUploads::UploadOffset(
    const std::string& peer_node_id, const v1::BundleUploadOffsetRequest& request) const {
  std::optional<BundleRecord> record = catalog_->Find(request.bundle_id());
  if (!record.has_value()) {
    return absl::NotFoundError(absl::StrCat("no bundle ", request.bundle_id()));
  }
  const v1::BundleInfo& info = record->info;
  const std::string& node = peer_node_id.empty() ? request.node_id() : peer_node_id;
  if (info.node_id() != node) return absl::PermissionDeniedError("bundle of another node");
  if (info.state() == v1::BUNDLE_FAILED || info.state() == v1::BUNDLE_EXPIRED) {
    return absl::FailedPreconditionError(
        absl::StrCat("bundle is ", v1::BundleState_Name(info.state()), ": ", info.error()));
  }
  v1::UploadBundleResponse resp;
  resp.set_stored_offset(info.received_bytes());
  resp.set_complete(info.state() == v1::BUNDLE_COMPLETE);
  return resp;
}

absl::StatusOr<v1::UploadBundleResponse> BundleUploads::AcceptChunk(const std::string& peer_node_id,
                                                                    const v1::BundleChunk& chunk) {
  if (chunk.data().size() > kBundleChunkBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk of ", chunk.data().size(), " bytes exceeds ", kBundleChunkBytes));
  }
  std::unique_lock<std::mutex> lock(mu_);
  std::optional<BundleRecord> record = catalog_->Find(chunk.bundle_id());
  if (!record.has_value()) {
    return absl::NotFoundError(absl::StrCat("no bundle ", chunk.bundle_id()));
  }
  if (checking_.count(chunk.bundle_id()) > 0) {
    return absl::UnavailableError(
        absl::StrCat("bundle ", chunk.bundle_id(), " is being checked; retry later"));
  }
  const v1::BundleInfo& info = record->info;
  const std::string& node = peer_node_id.empty() ? chunk.node_id() : peer_node_id;
  if (info.node_id() != node || (!chunk.node_id().empty() && chunk.node_id() != info.node_id())) {
    return absl::PermissionDeniedError(
        absl::StrCat("bundle ", info.id(), " belongs to another node"));
  }
  if (info.state() == v1::BUNDLE_COMPLETE) {
    if (chunk.offset() == info.size_bytes()) {
      v1::UploadBundleResponse resp;
      resp.set_stored_offset(info.size_bytes());
      resp.set_complete(true);
      return resp;
    }
    return absl::FailedPreconditionError("bundle already complete");
  }
  if (info.state() == v1::BUNDLE_FAILED || info.state() == v1::BUNDLE_EXPIRED) {
    return absl::FailedPreconditionError(
        absl::StrCat("bundle is ", v1::BundleState_Name(info.state()), ": ", info.error()));
  }
  if (chunk.offset() != info.received_bytes()) {
    return absl::FailedPreconditionError(
        absl::StrCat("chunk offset ", chunk.offset(), " but the collector holds ",
                     info.received_bytes(), " bytes; resume there"));
  }
  const uint64_t received = info.received_bytes() + chunk.data().size();
  if (received > options_.max_bundle_bytes) {
    const std::string err = absl::StrCat("bundle exceeds ", options_.max_bundle_bytes, " bytes");
    MarkFailed(catalog_, info.id(), err);
    return absl::ResourceExhaustedError(err);
  }
  if (!chunk.data().empty()) {
    if (absl::Status st = catalog_->AppendData(info.id(), chunk.offset(), chunk.data()); !st.ok()) {
      return st;
    }
  }
  bool checked = false;
  if (chunk.last()) {
    absl::Status verdict;
    if (chunk.total_size() != received) {
      verdict = absl::InvalidArgumentError(
          absl::StrCat("total_size ", chunk.total_size(), " but ", received, " bytes were sent"));
    } else {
      // The check reads the whole archive: other uploads must not wait for it. Chunks of this
      // bundle get UNAVAILABLE until it is marked complete or failed.
      checking_.insert(info.id());
      checked = true;
      lock.unlock();
      verdict =
          CheckUploadedArchive(*catalog_, info.id(), chunk.sha256(), received, options_.temp_dir);
    }
    if (!verdict.ok()) {
      MarkFailed(catalog_, info.id(), std::string(verdict.message()));
      if (checked) {
        lock.lock();
        checking_.erase(info.id());
      }
      return verdict;
    }
  }
  catalog_->Update(info.id(), [&](BundleRecord& r) {
    r.info.set_received_bytes(received);
    if (chunk.last()) {
      r.info.set_state(v1::BUNDLE_COMPLETE);
      r.info.set_size_bytes(received);
      r.info.set_sha256(absl::AsciiStrToLower(chunk.sha256()));
      r.info.set_completed_unix_ms(absl::ToUnixMillis(absl::Now()));
      *r.info.mutable_summary() = chunk.summary();
      r.message = "complete";
    } else {
      r.info.set_state(v1::BUNDLE_UPLOADING);
    }
    return true;
  });
  if (checked) {
    lock.lock();
    checking_.erase(info.id());
  }
  v1::UploadBundleResponse resp;
  resp.set_stored_offset(received);
  resp.set_complete(chunk.last());
  return resp;
}

}  // namespace guts::collector
