#include "collector/bundles/bundle_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace guts::collector {
namespace v1 = ::guts::diag::v1;

bool BundleStateIsFinal(v1::BundleState state) {
  return state == v1::BUNDLE_COMPLETE || state == v1::BUNDLE_FAILED || state == v1::BUNDLE_EXPIRED;
}

absl::StatusOr<std::unique_ptr<BundleCatalog>> BundleCatalog::Load(BundleStorage* storage,
                                                                   absl::Duration retention) {
  absl::StatusOr<std::vector<v1::BundleInfo>> known = storage->AllBundles();
  if (!known.ok()) return known.status();
  std::unique_ptr<BundleCatalog> catalog(new BundleCatalog(storage, retention));
  for (v1::BundleInfo& info : *known) {
    BundleRecord record;
    record.request.set_bundle_id(info.id());
    record.info = std::move(info);
    catalog->records_[record.info.id()] = std::move(record);
  }
  return catalog;
}

void BundleCatalog::Add(BundleRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = record.info.id();
  ++record.revision;
  // Metadata is small; a failed write is retried by the next change of the same bundle.
  (void)storage_->PutBundleInfo(record.info);
  records_[id] = std::move(record);
  ++changes_;
  changed_.notify_all();
}

bool BundleCatalog::Update(const std::string& id,
                           const std::function<bool(BundleRecord&)>& change) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end() || !change(it->second)) return false;
  ++it->second.revision;
  (void)storage_->PutBundleInfo(it->second.info);
  ++changes_;
  changed_.notify_all();
  return true;
}

std::optional<BundleRecord> BundleCatalog::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::vector<BundleRecord> BundleCatalog::Matching(
    const std::function<bool(const BundleRecord&)>& matches) const {
  std::vector<BundleRecord> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, record] : records_) {
    if (matches(record)) out.push_back(record);
  }
  return out;
}

uint64_t BundleCatalog::Changes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return changes_;
}

void BundleCatalog::WaitForChange(uint64_t seen, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return changes_ != seen; });
}

absl::Status BundleCatalog::AppendData(const std::string& id, uint64_t offset,
                                       const std::string& bytes) {
  std::lock_guard<std::mutex> data_lock(data_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (records_.count(id) == 0) return absl::NotFoundError(absl::StrCat("no bundle ", id));
  }
  return storage_->AppendBundleData(id, offset, bytes);
}

absl::StatusOr<std::string> BundleCatalog::ReadData(const std::string& id, uint64_t offset,
                                                    size_t max_bytes) const {
  return storage_->ReadBundleData(id, offset, max_bytes);
}

v1::BundleList BundleCatalog::List(const v1::ListBundlesRequest& request) const {
  std::vector<v1::BundleInfo> infos;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, record] : records_) {
      if (request.node_id().empty() || record.info.node_id() == request.node_id())
        infos.push_back(record.info);
    }
  }
  std::sort(infos.begin(), infos.end(), [](const v1::BundleInfo& a, const v1::BundleInfo& b) {
    return a.requested_unix_ms() != b.requested_unix_ms()
               ? a.requested_unix_ms() > b.requested_unix_ms()
               : a.id() > b.id();
  });
  if (request.limit() > 0 && infos.size() > request.limit()) infos.resize(request.limit());
  v1::BundleList list;
  for (v1::BundleInfo& i : infos) *list.add_bundles() = std::move(i);
  return list;
}

absl::Status BundleCatalog::Download(const v1::DownloadBundleRequest& request,
                                     const std::function<bool(const v1::BundleData&)>& emit) const {
  std::optional<BundleRecord> record = Find(request.bundle_id());
  if (!record.has_value()) {
    return absl::NotFoundError(absl::StrCat("no bundle ", request.bundle_id()));
  }
  const v1::BundleInfo& info = record->info;
  if (info.state() != v1::BUNDLE_COMPLETE) {
    return absl::FailedPreconditionError(
        absl::StrCat("bundle ", info.id(), " is not complete (", v1::BundleState_Name(info.state()),
                     info.error().empty() ? "" : ": ", info.error(), ")"));
  }
  if (request.offset() > info.size_bytes()) {
    return absl::OutOfRangeError(absl::StrCat("offset ", request.offset(), " is past the end (",
                                              info.size_bytes(), " bytes)"));
  }
  uint64_t offset = request.offset();
  bool first = true;
  while (first || offset < info.size_bytes()) {
    v1::BundleData data;
    data.set_offset(offset);
    if (first) *data.mutable_info() = info;
    first = false;
    if (offset < info.size_bytes()) {
      absl::StatusOr<std::string> bytes =
          storage_->ReadBundleData(info.id(), offset, kBundleChunkBytes);
      if (!bytes.ok()) return bytes.status();
      if (bytes->empty()) return absl::DataLossError("stored bundle is shorter than its size");
      offset += bytes->size();
      data.set_data(std::move(*bytes));
    }
    if (!emit(data)) return absl::CancelledError("client went away");
  }
  return absl::OkStatus();
}

void BundleCatalog::ApplyRetention(absl::Time now) {
  const int64_t keep_after = absl::ToUnixMillis(now - retention_);
  std::vector<std::string> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, record] : records_) {
      if (record.info.requested_unix_ms() < keep_after) doomed.push_back(id);
    }
  }
  for (const std::string& id : doomed) {
    std::lock_guard<std::mutex> data_lock(data_mu_);
    if (!storage_->DeleteBundle(id).ok()) continue;
    std::lock_guard<std::mutex> lock(mu_);
    records_.erase(id);
    ++changes_;
    changed_.notify_all();
  }
}

}  // namespace guts::collector
