#include "collector/bundles/bundle_rpcs_impl.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/grpc_status.h"
#include "common/tls.h"

namespace guts::collector {
namespace v1 = ::guts::diag::v1;

namespace {

// A write reactor fed by a blocking producer on its own detached thread. After Finish() the
// thread touches nothing of the reactor, which gRPC deletes in OnDone.
template <typename T>
class ThreadedWriter : public grpc::ServerWriteReactor<T> {
 public:
  using Producer = std::function<absl::Status(const std::function<bool(const T&)>& write,
                                              const std::function<bool()>& cancelled)>;

  ThreadedWriter(Producer producer, BundleRpcs::CallSlot slot) : slot_(std::move(slot)) {
    std::thread([this, producer = std::move(producer)] {
      const absl::Status status =
          producer([this](const T& m) { return Write(m); }, [this] { return cancelled_.load(); });
      this->Finish(ToGrpcStatus(status));
    }).detach();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    write_ok_ = ok;
    writing_ = false;
    cv_.notify_all();
  }
  void OnCancel() override {
    cancelled_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  void OnDone() override { delete this; }

 private:
  bool Write(const T& message) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) return false;
      message_ = message;
      writing_ = true;
    }
    this->StartWrite(&message_);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !writing_; });
    return write_ok_ && !cancelled_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  T message_;
  bool writing_ = false;
  bool write_ok_ = true;
  std::atomic<bool> cancelled_{false};
  BundleRpcs::CallSlot slot_;  // dropped with the reactor, in OnDone
};

class UploadReactor : public grpc::ServerReadReactor<v1::BundleChunk> {
 public:
  UploadReactor(BundleUploads* uploads, ArchiveCheckQueue* checks, std::string peer,
                v1::UploadBundleResponse* response)
      : uploads_(uploads), checks_(checks), peer_(std::move(peer)), response_(response) {
    StartRead(&chunk_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    if (chunk_.last()) {
      // The last chunk checks the whole archive (seconds for a big one): on the check queue's
      // threads, never on gRPC's callback threads, which every agent's acks need. A full queue
      // refuses it before anything is stored: the agent resends it from the same offset.
      if (absl::Status queued = checks_->Submit([this] { Accept(); }); !queued.ok()) {
        Finish(ToGrpcStatus(queued));
      }
      return;
    }
    Accept();
  }
  void OnDone() override { delete this; }

 private:
  void Accept() {
    absl::StatusOr<v1::UploadBundleResponse> resp = uploads_->AcceptChunk(peer_, chunk_);
    if (!resp.ok()) {
      Finish(ToGrpcStatus(resp.status()));
      return;
    }
    *response_ = *resp;
    StartRead(&chunk_);
  }

  BundleUploads* const uploads_;
  ArchiveCheckQueue* const checks_;
  const std::string peer_;
  v1::UploadBundleResponse* const response_;
  v1::BundleChunk chunk_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BundleRpcsImpl>> BundleRpcsImpl::Create(
    std::unique_ptr<BundleStorage> storage, BundleRequests::SendCommand send_command,
    BundleRequests::ListNodes list_nodes, BundleOptions options) {
  absl::StatusOr<std::unique_ptr<BundleCatalog>> catalog =
      BundleCatalog::Load(storage.get(), options.retention);
  if (!catalog.ok()) return catalog.status();
  return std::unique_ptr<BundleRpcsImpl>(new BundleRpcsImpl(std::move(storage), *std::move(catalog),
                                                            std::move(send_command),
                                                            std::move(list_nodes), options));
}

BundleRpcsImpl::BundleRpcsImpl(std::unique_ptr<BundleStorage> storage,
                               std::unique_ptr<BundleCatalog> catalog,
                               BundleRequests::SendCommand send_command,
                               BundleRequests::ListNodes list_nodes, const BundleOptions& options)
    : storage_(std::move(storage)),
      catalog_(std::move(catalog)),
      requests_(catalog_.get(), std::move(send_command), std::move(list_nodes), options.requests),
      uploads_(catalog_.get(), options.uploads),
      archive_checks_(options.archive_checks) {
  if (options.start_ticker) {
    ticker_ = std::thread([this] {
      while (!stopping_.WaitForNotificationWithTimeout(absl::Seconds(1))) Tick(absl::Now());
    });
  }
}

BundleRpcsImpl::~BundleRpcsImpl() {
  stopping_.Notify();
  if (ticker_.joinable()) ticker_.join();
}

void BundleRpcsImpl::Tick(absl::Time now) {
  requests_.ExpirePending(now);
  catalog_->ApplyRetention(now);
}

grpc::ServerWriteReactor<v1::CollectProgress>* BundleRpcsImpl::CollectBundle(
    grpc::CallbackServerContext* context, const v1::CollectBundleRequest* request, CallSlot slot) {
  std::string who = PeerCommonName(*context);
  if (who.empty()) who = context->peer();
  return new ThreadedWriter<v1::CollectProgress>(
      [requests = &requests_, req = *request, who](const auto& write, const auto& cancelled) {
        return requests->Collect(req, who, write, cancelled);
      },
      std::move(slot));
}

grpc::ServerUnaryReactor* BundleRpcsImpl::ListBundles(grpc::CallbackServerContext* context,
                                                      const v1::ListBundlesRequest* request,
                                                      v1::BundleList* response) {
  *response = catalog_->List(*request);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<v1::BundleData>* BundleRpcsImpl::DownloadBundle(
    grpc::CallbackServerContext* /*context*/, const v1::DownloadBundleRequest* request,
    CallSlot slot) {
  return new ThreadedWriter<v1::BundleData>(
      [catalog = catalog_.get(), req = *request](const auto& write, const auto& /*cancelled*/) {
        return catalog->Download(req, write);
      },
      std::move(slot));
}

grpc::ServerReadReactor<v1::BundleChunk>* BundleRpcsImpl::UploadBundle(
    grpc::CallbackServerContext* context, v1::UploadBundleResponse* response) {
  return new UploadReactor(&uploads_, &archive_checks_, PeerCommonName(*context), response);
}

grpc::ServerUnaryReactor* BundleRpcsImpl::BundleUploadOffset(
    grpc::CallbackServerContext* context, const v1::BundleUploadOffsetRequest* request,
    v1::UploadBundleResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<v1::UploadBundleResponse> resp =
      uploads_.UploadOffset(PeerCommonName(*context), *request);
  if (resp.ok()) *response = *resp;
  reactor->Finish(resp.ok() ? grpc::Status::OK : ToGrpcStatus(resp.status()));
  return reactor;
}

void BundleRpcsImpl::OnCommandStatus(const std::string& node_id, const v1::CommandStatus& status) {
  requests_.OnCommandStatus(node_id, status);
}

void BundleRpcsImpl::OnNodeConnected(const std::string& node_id) {
  requests_.OnNodeConnected(node_id);
}

}  // namespace guts::collector
