#include "collector/bundles/bundle_desk.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bundle_format/archive_check.h"
#include "bundle_format/sha256.h"
#include "common/node_id.h"

namespace guts::collector {
namespace v1 = ::guts::diag::v1;
namespace {

bool Final(v1::BundleState s) {
  return s == v1::BUNDLE_COMPLETE || s == v1::BUNDLE_FAILED || s == v1::BUNDLE_EXPIRED;
}

std::string NewBundleId(const std::string& node, absl::Time now) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex rng_mu;
  uint64_t r;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    r = rng();
  }
  return absl::StrCat(node, "-", absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), "-",
                      absl::Hex(r & 0xffffff, absl::kZeroPad6));
}

int64_t UnixMs(absl::Time t) { return absl::ToUnixMillis(t); }

}  // namespace

absl::StatusOr<std::unique_ptr<BundleDesk>> BundleDesk::Create(BundleStorage* storage,
                                                               SendCommand send_command,
                                                               ListNodes list_nodes,
                                                               BundleDeskOptions options) {
  absl::StatusOr<std::vector<v1::BundleInfo>> known = storage->AllBundles();
  if (!known.ok()) return known.status();
  std::unique_ptr<BundleDesk> desk(
      new BundleDesk(storage, std::move(send_command), std::move(list_nodes), options));
  for (v1::BundleInfo& info : *known) {
    Entry entry;
    entry.request.set_bundle_id(info.id());
    entry.info = std::move(info);
    desk->bundles_[entry.info.id()] = std::move(entry);
  }
  if (options.start_ticker) {
    desk->ticker_ = std::thread([d = desk.get()] {
      std::unique_lock<std::mutex> lock(d->mu_);
      while (!d->stopping_) {
        d->changed_.wait_for(lock, std::chrono::seconds(1));
        if (d->stopping_) break;
        lock.unlock();
        d->Tick(absl::Now());
        lock.lock();
      }
    });
  }
  return desk;
}

BundleDesk::BundleDesk(BundleStorage* storage, SendCommand send_command, ListNodes list_nodes,
                       BundleDeskOptions options)
    : storage_(storage),
      send_command_(std::move(send_command)),
      list_nodes_(std::move(list_nodes)),
      options_(std::move(options)) {}

BundleDesk::~BundleDesk() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void BundleDesk::Changed(Entry& entry) {
  ++entry.revision;
  // Metadata is small; a failed write is retried by the next change of the same bundle.
  (void)storage_->PutBundleInfo(entry.info);
  changed_.notify_all();
}

void BundleDesk::Fail(const std::string& id, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bundles_.find(id);
  if (it == bundles_.end() || Final(it->second.info.state())) return;
  it->second.info.set_state(v1::BUNDLE_FAILED);
  it->second.info.set_error(error);
  it->second.info.set_completed_unix_ms(UnixMs(absl::Now()));
  it->second.message = error;
  Changed(it->second);
}

v1::CollectProgress BundleDesk::Progress(const Entry& entry) const {
  v1::CollectProgress p;
  *p.mutable_bundle() = entry.info;
  p.set_sources_done(entry.sources_done);
  p.set_sources_total(entry.sources_total);
  p.set_message(entry.message);
  return p;
}

void BundleDesk::OnNodeConnected(const std::string& node_id) {
  std::vector<v1::Command> to_send;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now_ms = UnixMs(absl::Now());
    for (auto& [id, entry] : bundles_) {
      if (entry.info.node_id() != node_id || entry.info.state() != v1::BUNDLE_PENDING) continue;
      if (entry.info.expires_unix_ms() != 0 && entry.info.expires_unix_ms() < now_ms) continue;
      v1::Command cmd;
      cmd.set_id(id);
      *cmd.mutable_bundle() = entry.request;
      to_send.push_back(std::move(cmd));
    }
  }
  for (const v1::Command& cmd : to_send) {
    if (!send_command_(node_id, cmd)) continue;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bundles_.find(cmd.id());
    if (it != bundles_.end() && it->second.info.state() == v1::BUNDLE_PENDING) {
      it->second.info.set_state(v1::BUNDLE_RUNNING);
      it->second.message = "node reconnected; request sent";
      Changed(it->second);
    }
  }
}

void BundleDesk::OnCommandStatus(const std::string& node_id, const v1::CommandStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bundles_.find(status.command_id());
  if (it == bundles_.end() || it->second.info.node_id() != node_id) return;
  Entry& entry = it->second;
  if (Final(entry.info.state())) return;
  entry.sources_done = status.sources_done();
  entry.sources_total = status.sources_total();
  entry.message = status.message();
  switch (status.state()) {
    case v1::CommandStatus::ACCEPTED:
    case v1::CommandStatus::RUNNING:
      if (entry.info.state() == v1::BUNDLE_PENDING) entry.info.set_state(v1::BUNDLE_RUNNING);
      break;
    case v1::CommandStatus::UPLOADING:
      entry.info.set_state(v1::BUNDLE_UPLOADING);
      break;
    case v1::CommandStatus::FAILED:
    case v1::CommandStatus::REJECTED:
      entry.info.set_state(v1::BUNDLE_FAILED);
      entry.info.set_error(status.message().empty() ? "agent reported failure" : status.message());
      entry.info.set_completed_unix_ms(UnixMs(absl::Now()));
      break;
    default:
      break;
  }
  Changed(entry);
}

absl::Status BundleDesk::Collect(const v1::CollectBundleRequest& request,
                                 const std::string& requested_by,
                                 const std::function<bool(const v1::CollectProgress&)>& emit,
                                 const std::function<bool()>& cancelled) {
  std::vector<std::string> nodes(request.node_ids().begin(), request.node_ids().end());
  if (request.all() && list_nodes_) {
    for (const std::string& n : list_nodes_()) {
      if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
    }
  }
  if (nodes.empty()) return absl::InvalidArgumentError("no nodes to collect from");
  for (const std::string& n : nodes) {
    if (!guts::ValidNodeId(n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad node id \"", n.substr(0, 64), "\" (", guts::kNodeIdGrammar, ")"));
    }
  }
  const absl::Time now = absl::Now();
  const absl::Duration timeout = request.timeout_ms() > 0 ? absl::Milliseconds(request.timeout_ms())
                                                          : options_.default_timeout;
  const absl::Duration expiry = request.pending_expiry_ms() > 0
                                    ? absl::Milliseconds(request.pending_expiry_ms())
                                    : options_.pending_expiry;
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, v1::Command>> to_send;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t pending_total = 0;
    std::map<std::string, size_t> pending_by_node;
    for (const auto& [id, e] : bundles_) {
      if (e.info.state() == v1::BUNDLE_PENDING) {
        ++pending_total;
        ++pending_by_node[e.info.node_id()];
      }
    }
    for (const std::string& node : nodes) {
      Entry entry;
      const std::string id = NewBundleId(node, now);
      entry.info.set_id(id);
      entry.info.set_node_id(node);
      entry.info.set_requested_unix_ms(UnixMs(now));
      entry.info.set_requested_by(requested_by);
      entry.info.set_expires_unix_ms(UnixMs(now + expiry));
      entry.request.set_bundle_id(id);
      entry.request.set_since_ms(request.since_ms());
      // The agent must finish building before the operator stops waiting: 3/4 of the wait.
      entry.request.set_timeout_ms(
          static_cast<uint32_t>(absl::ToInt64Milliseconds(timeout) * 3 / 4));
      entry.request.set_max_bytes(request.max_bytes());
      *entry.request.mutable_sources() = request.sources();
      if (pending_total >= options_.max_pending_total ||
          pending_by_node[node] >= options_.max_pending_per_node) {
        entry.info.set_state(v1::BUNDLE_FAILED);
        entry.info.set_error("too many pending bundle requests for this node; retry later");
      } else {
        entry.info.set_state(v1::BUNDLE_PENDING);
        entry.message = "waiting for the node's stream";
        ++pending_total;
        ++pending_by_node[node];
        v1::Command cmd;
        cmd.set_id(id);
        *cmd.mutable_bundle() = entry.request;
        to_send.emplace_back(node, std::move(cmd));
      }
      ids.push_back(id);
      auto [it, inserted] = bundles_.emplace(id, std::move(entry));
      Changed(it->second);
    }
  }
  for (const auto& [node, cmd] : to_send) {
    const bool sent = send_command_ && send_command_(node, cmd);
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = bundles_[cmd.id()];
    if (e.info.state() != v1::BUNDLE_PENDING) continue;
    if (sent) {
      e.info.set_state(v1::BUNDLE_RUNNING);
      e.message = "request sent to the agent";
    } else {
      e.message = absl::StrCat(
          "node offline: request queued until it reconnects (expires ",
          absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMillis(e.info.expires_unix_ms()),
                           absl::UTCTimeZone()),
          ")");
    }
    Changed(e);
  }

  std::map<std::string, uint64_t> emitted;
  std::map<std::string, bool> timed_out;
  const absl::Time deadline = now + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::vector<v1::CollectProgress> out;
    bool all_settled = true;
    const bool past_deadline = absl::Now() >= deadline;
    for (const std::string& id : ids) {
      auto it = bundles_.find(id);
      if (it == bundles_.end()) continue;
      Entry& e = it->second;
      const v1::BundleState s = e.info.state();
      const bool settled = Final(s) || s == v1::BUNDLE_PENDING;
      if (!settled && past_deadline && !timed_out[id]) {
        timed_out[id] = true;
        v1::CollectProgress p = Progress(e);
        p.set_message(absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                                   "; the bundle stays listed and may still complete"));
        out.push_back(std::move(p));
        emitted[id] = e.revision;
        continue;
      }
      if (!settled && !timed_out[id]) all_settled = false;
      if (emitted.count(id) == 0 || emitted[id] != e.revision) {
        emitted[id] = e.revision;
        if (!timed_out[id]) out.push_back(Progress(e));
      }
    }
    lock.unlock();
    for (const v1::CollectProgress& p : out) {
      if (!emit(p)) return absl::CancelledError("client went away");
    }
    if (all_settled) return absl::OkStatus();
    if (cancelled && cancelled()) return absl::CancelledError("cancelled");
    lock.lock();
    changed_.wait_for(lock, std::chrono::milliseconds(200));
  }
}

v1::BundleList BundleDesk::List(const v1::ListBundlesRequest& request) const {
  std::vector<v1::BundleInfo> infos;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, e] : bundles_) {
      if (request.node_id().empty() || e.info.node_id() == request.node_id())
        infos.push_back(e.info);
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

absl::Status BundleDesk::Download(const v1::DownloadBundleRequest& request,
                                  const std::function<bool(const v1::BundleData&)>& emit) const {
  v1::BundleInfo info;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bundles_.find(request.bundle_id());
    if (it == bundles_.end()) {
      return absl::NotFoundError(absl::StrCat("no bundle ", request.bundle_id()));
    }
    info = it->second.info;
  }
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
          storage_->ReadBundleData(info.id(), offset, options_.max_chunk_bytes);
      if (!bytes.ok()) return bytes.status();
      if (bytes->empty()) return absl::DataLossError("stored bundle is shorter than its size");
      offset += bytes->size();
      data.set_data(std::move(*bytes));
    }
    if (!emit(data)) return absl::CancelledError("client went away");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::UploadBundleResponse> BundleDesk::UploadOffset(
    const std::string& peer_node_id, const v1::BundleUploadOffsetRequest& request) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bundles_.find(request.bundle_id());
  if (it == bundles_.end())
    return absl::NotFoundError(absl::StrCat("no bundle ", request.bundle_id()));
  const v1::BundleInfo& info = it->second.info;
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

absl::Status BundleDesk::VerifyArchive(const v1::BundleInfo& info, const std::string& sha256,
                                       uint64_t size) const {
  // Bytes are read back from the store, so what is checked is what will be served.
  const std::string path =
      (std::filesystem::path(options_.temp_dir) /
       absl::StrCat("guts-bundle-check-", ::getpid(), "-", info.id(), ".tar.gz"))
          .string();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot create ", path));
  bundle::Sha256 hash;
  uint64_t offset = 0;
  absl::Status status;
  while (offset < size) {
    absl::StatusOr<std::string> bytes = storage_->ReadBundleData(info.id(), offset, 1 << 20);
    if (!bytes.ok()) {
      status = bytes.status();
      break;
    }
    if (bytes->empty()) break;
    hash.Update(*bytes);
    std::fwrite(bytes->data(), 1, bytes->size(), f);
    offset += bytes->size();
  }
  std::fclose(f);
  if (status.ok() && offset != size) {
    status = absl::DataLossError(absl::StrCat("stored ", offset, " bytes, expected ", size));
  }
  if (status.ok()) {
    const std::string got = hash.FinishHex();
    if (got != absl::AsciiStrToLower(sha256)) {
      status = absl::DataLossError(
          absl::StrCat("SHA-256 mismatch: archive has ", got, ", agent sent ", sha256));
    }
  }
  if (status.ok()) {
    absl::StatusOr<std::vector<std::string>> entries = bundle::CheckArchiveEntries(path);
    if (!entries.ok()) status = absl::InvalidArgumentError(entries.status().message());
  }
  std::filesystem::remove(path);
  return status;
}

absl::StatusOr<v1::UploadBundleResponse> BundleDesk::AcceptChunk(const std::string& peer_node_id,
                                                                 const v1::BundleChunk& chunk) {
  if (chunk.data().size() > options_.max_chunk_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("chunk of ", chunk.data().size(),
                                                   " bytes exceeds ", options_.max_chunk_bytes));
  }
  std::unique_lock<std::mutex> upload_lock(upload_mu_);
  v1::BundleInfo info;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bundles_.find(chunk.bundle_id());
    if (it == bundles_.end())
      return absl::NotFoundError(absl::StrCat("no bundle ", chunk.bundle_id()));
    if (verifying_.count(chunk.bundle_id()) > 0) {
      return absl::UnavailableError(
          absl::StrCat("bundle ", chunk.bundle_id(), " is being checked; retry later"));
    }
    info = it->second.info;
  }
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
    Fail(info.id(), err);
    return absl::ResourceExhaustedError(err);
  }
  if (!chunk.data().empty()) {
    if (absl::Status st = storage_->AppendBundleData(info.id(), chunk.offset(), chunk.data());
        !st.ok()) {
      return st;
    }
  }
  absl::Status verdict;
  if (chunk.last()) {
    if (chunk.total_size() != received) {
      verdict = absl::InvalidArgumentError(
          absl::StrCat("total_size ", chunk.total_size(), " but ", received, " bytes were sent"));
    } else {
      // The check reads the whole archive: other uploads must not wait for it.
      {
        std::lock_guard<std::mutex> lock(mu_);
        verifying_.insert(info.id());
      }
      upload_lock.unlock();
      verdict = VerifyArchive(info, chunk.sha256(), received);
      std::lock_guard<std::mutex> lock(mu_);
      verifying_.erase(info.id());
    }
    if (!verdict.ok()) {
      Fail(info.id(), std::string(verdict.message()));
      return verdict;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = bundles_[info.id()];
  e.info.set_received_bytes(received);
  if (chunk.last()) {
    e.info.set_state(v1::BUNDLE_COMPLETE);
    e.info.set_size_bytes(received);
    e.info.set_sha256(absl::AsciiStrToLower(chunk.sha256()));
    e.info.set_completed_unix_ms(UnixMs(absl::Now()));
    *e.info.mutable_summary() = chunk.summary();
    e.message = "complete";
  } else {
    e.info.set_state(v1::BUNDLE_UPLOADING);
  }
  Changed(e);
  v1::UploadBundleResponse resp;
  resp.set_stored_offset(received);
  resp.set_complete(chunk.last());
  return resp;
}

void BundleDesk::Tick(absl::Time now) {
  const int64_t now_ms = UnixMs(now);
  const int64_t keep_after = UnixMs(now - options_.retention);
  std::vector<std::string> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, e] : bundles_) {
      if (e.info.state() == v1::BUNDLE_PENDING && e.info.expires_unix_ms() != 0 &&
          e.info.expires_unix_ms() < now_ms) {
        e.info.set_state(v1::BUNDLE_EXPIRED);
        e.info.set_error("node did not reconnect before the request expired");
        e.message = e.info.error();
        Changed(e);
      }
      if (e.info.requested_unix_ms() < keep_after) doomed.push_back(id);
    }
  }
  for (const std::string& id : doomed) {
    std::lock_guard<std::mutex> upload_lock(upload_mu_);
    if (!storage_->DeleteBundle(id).ok()) continue;
    std::lock_guard<std::mutex> lock(mu_);
    bundles_.erase(id);
  }
}

}  // namespace guts::collector
