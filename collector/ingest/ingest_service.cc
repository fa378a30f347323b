#include "collector/ingest/ingest_service.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/tls.h"
#include "spdlog/spdlog.h"

namespace guts::collector {

using guts::diag::v1::AgentMessage;
using guts::diag::v1::CollectorMessage;

namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Short reason label for /metrics.
const char* ReasonOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kResourceExhausted:
      return "overloaded";
    case absl::StatusCode::kPermissionDenied:
      return "identity";
    case absl::StatusCode::kUnavailable:
      return "shutdown";
    default:
      return "invalid";
  }
}

}  // namespace

class ConnectReactor;

// The write side of one Connect stream, shared with the writer thread (acks) and the bundle
// room (commands). At most one write is in flight; queued acks coalesce into the newest.
// Note: gRPC may run OnWriteDone inline from StartWrite, hence the recursive mutex.
class AgentStream : public AckSink {
 public:
  explicit AgentStream(ConnectReactor* reactor) : reactor_(reactor) {}

  void Acked(uint64_t seq) override {
    CollectorMessage m;
    m.mutable_ack()->set_seq(seq);
    Send(std::move(m));
  }

  void Send(CollectorMessage m);
  // Flushes queued messages, then ends the stream with `status`. First call wins.
  void Finish(grpc::Status status);
  void OnWriteDone(bool ok);
  // The reactor is gone: drop everything from now on.
  void Detach() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    reactor_ = nullptr;
  }

 private:
  void StartNext();

  std::recursive_mutex mu_;
  ConnectReactor* reactor_;
  std::deque<CollectorMessage> queue_;
  CollectorMessage current_;
  bool writing_ = false;
  bool finishing_ = false;
  bool finish_sent_ = false;
  grpc::Status status_;
};

class ConnectReactor : public grpc::ServerBidiReactor<AgentMessage, CollectorMessage> {
 public:
  ConnectReactor(IngestService* service, grpc::CallbackServerContext* context)
      : service_(service),
        peer_(context->peer()),
        peer_cn_(PeerCommonName(*context)),
        stream_(std::make_shared<AgentStream>(this)) {
    service_->metrics_->streams.Increment();
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the agent closed its side, or the call is cancelled
      stream_->Finish(grpc::Status::OK);
      return;
    }
    absl::Status s = Handle();
    if (!s.ok()) {
      if (rate_limited_) {
        // A flooding agent reconnects and is refused again and again: one line per node now
        // and then, counting the rest, keeps the log readable.
        service_->metrics_->Rejected("rate_limited").Increment();
        if (uint64_t n = service_->rate_limit_.RefusalsToLog(node_, absl::Now()); n > 0) {
          spdlog::warn("agent stream {} ({}) refused: {} ({} refusal(s) of {} since the last line)",
                       node_, peer_, s.ToString(), n, node_);
        }
      } else {
        service_->metrics_->Rejected(ReasonOf(s.code())).Increment();
        spdlog::warn("agent stream {} ({}) refused: {}", node_.empty() ? "?" : node_, peer_,
                     s.ToString());
      }
      stream_->Finish(ToGrpc(s));
      return;
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override { stream_->OnWriteDone(ok); }

  void OnDone() override {
    stream_->Detach();
    if (!node_.empty() && service_->Unregister(node_, stream_.get())) {
      service_->fleet_->Disconnected(node_, absl::Now());
    }
    service_->metrics_->streams.Decrement();
    delete this;
  }

 private:
  absl::Status Handle() {
    switch (in_.msg_case()) {
      case AgentMessage::kHello:
        return HandleHello();
      case AgentMessage::kSnapshot:
        return HandleSnapshot();
      case AgentMessage::kCommandStatus:
        if (node_.empty()) return NotHello();
        if (service_->bundles_ == nullptr) {
          spdlog::warn("node {} reported command {} but no bundle service runs", node_,
                       in_.command_status().command_id());
        } else {
          service_->bundles_->OnCommandStatus(node_, in_.command_status());
        }
        return absl::OkStatus();
      case AgentMessage::MSG_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError(
        "message of unknown kind (empty, or from a newer agent this collector does not "
        "understand)");
  }

  absl::Status NotHello() const {
    return absl::InvalidArgumentError("the first message of a Connect stream must be a Hello");
  }

  absl::Status HandleHello() {
    if (!node_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("second Hello on the stream of ", node_));
    }
    const guts::diag::v1::Hello& hello = in_.hello();
    if (absl::Status s = ValidateHello(hello, service_->options_.limits); !s.ok()) return s;
    if (service_->options_.require_client_identity && hello.node_id() != peer_cn_) {
      return absl::PermissionDeniedError(absl::StrCat("hello claims node \"", hello.node_id(),
                                                      "\" but the client certificate is "
                                                      "for \"",
                                                      peer_cn_, "\""));
    }
    node_ = hello.node_id();
    absl::Time now = absl::Now();
    ExpectBacklog(hello, now);
    service_->writer_->SubmitHello(hello);
    service_->fleet_->Connected(hello, now);
    service_->Register(node_, stream_);
    CollectorMessage ack;
    ack.mutable_hello_ack()->set_last_stored_seq(service_->writer_->LastStoredSeq(node_));
    ack.mutable_hello_ack()->set_collector_unix_ms(absl::ToUnixMillis(now));
    stream_->Send(std::move(ack));
    spdlog::info("agent of {} connected from {} (version {}, next seq {})", node_, peer_,
                 hello.agent_version(), hello.next_seq());
    if (service_->bundles_ != nullptr) service_->bundles_->OnNodeConnected(node_);
    return absl::OkStatus();
  }

  absl::Status HandleSnapshot() {
    if (node_.empty()) return NotHello();
    guts::diag::v1::Snapshot* snapshot = in_.mutable_snapshot();
    absl::Time now = absl::Now();
    if (absl::Status s = ValidateSnapshot(*snapshot, node_, now, service_->options_.limits);
        !s.ok()) {
      return s;
    }
    if (snapshot->seq() <= last_seq_) {
      return absl::InvalidArgumentError(absl::StrCat("snapshot seq ", snapshot->seq(),
                                                     " after seq ", last_seq_,
                                                     " on the same stream: seq must increase"));
    }
    if (absl::Status s = service_->rate_limit_.Admit(node_, now); !s.ok()) {
      rate_limited_ = true;
      return s;
    }
    last_seq_ = snapshot->seq();
    snapshot->set_node_id(node_);
    service_->metrics_->snapshots_received.Increment();
    PendingSnapshot pending;
    pending.snapshot.Swap(snapshot);
    pending.received = now;
    pending.ack = stream_;
    return service_->writer_->Submit(std::move(pending));
  }

  // Tells the rate limit how many spooled snapshots the agent is about to replay: the Hello's
  // next_seq minus what is stored or acked already.
  void ExpectBacklog(const guts::diag::v1::Hello& hello, absl::Time now) {
    uint64_t done = std::max(service_->writer_->LastStoredSeq(node_), hello.last_acked_seq());
    uint64_t spooled_up_to = hello.next_seq() == 0 ? 0 : hello.next_seq() - 1;
    uint64_t backlog = spooled_up_to > done ? spooled_up_to - done : 0;
    // Silent since the last stored snapshot; a node never stored since its agent started (as
    // the agent says). Never before the oldest snapshot the limits accept.
    absl::Time quiet_since = service_->writer_->LastStoredReceived(node_);
    if (quiet_since == absl::InfinitePast()) {
      quiet_since = absl::FromUnixMillis(hello.agent_start_unix_ms());
    }
    quiet_since = std::clamp(quiet_since, now - service_->options_.limits.max_past, now);
    service_->rate_limit_.Connected(node_, backlog, quiet_since, now);
  }

  IngestService* const service_;
  const std::string peer_;
  const std::string peer_cn_;
  std::shared_ptr<AgentStream> stream_;
  AgentMessage in_;
  // Set by the Hello; only OnReadDone (one at a time) touches these.
  std::string node_;
  uint64_t last_seq_ = 0;
  bool rate_limited_ = false;
};

void AgentStream::Send(CollectorMessage m) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (reactor_ == nullptr || finishing_) return;
  if (m.has_ack() && !queue_.empty() && queue_.back().has_ack()) {
    queue_.back().mutable_ack()->set_seq(std::max(queue_.back().ack().seq(), m.ack().seq()));
    return;
  }
  queue_.push_back(std::move(m));
  if (!writing_) StartNext();
}

void AgentStream::Finish(grpc::Status status) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (reactor_ == nullptr || finishing_) return;
  finishing_ = true;
  status_ = std::move(status);
  if (!writing_) StartNext();
}

void AgentStream::OnWriteDone(bool ok) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  writing_ = false;
  if (!ok) queue_.clear();  // the stream is broken; reads fail next and finish it
  StartNext();
}

void AgentStream::StartNext() {
  if (reactor_ == nullptr) return;
  if (!queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    reactor_->StartWrite(&current_);
    return;
  }
  if (finishing_ && !finish_sent_) {
    finish_sent_ = true;
    reactor_->Finish(status_);
  }
}

IngestService::IngestService(SnapshotWriter* writer, FleetState* fleet, CollectorMetrics* metrics,
                             IngestOptions options)
    : writer_(writer),
      fleet_(fleet),
      metrics_(metrics),
      options_(std::move(options)),
      rate_limit_(options_.rate_limit) {}

IngestService::~IngestService() = default;

grpc::ServerBidiReactor<AgentMessage, CollectorMessage>* IngestService::Connect(
    grpc::CallbackServerContext* context) {
  return new ConnectReactor(this, context);
}

void IngestService::Register(const std::string& node_id, std::shared_ptr<AgentStream> stream) {
  std::shared_ptr<AgentStream> older;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<AgentStream>& slot = streams_[node_id];
    older = std::exchange(slot, std::move(stream));
  }
  if (older != nullptr) {
    spdlog::warn("a newer stream of {} took over; closing the older one", node_id);
    older->Finish(grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                               absl::StrCat("a newer stream of node ", node_id, " took over")));
  }
}

bool IngestService::Unregister(const std::string& node_id, const AgentStream* stream) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(node_id);
  if (it == streams_.end() || it->second.get() != stream) return false;
  streams_.erase(it);
  return true;
}

bool IngestService::SendCommand(const std::string& node_id,
                                const guts::diag::v1::Command& command) {
  std::shared_ptr<AgentStream> stream;
  {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(node_id);
    if (it == streams_.end()) return false;
    stream = it->second;
  }
  CollectorMessage m;
  *m.mutable_command() = command;
  stream->Send(std::move(m));
  return true;
}

void IngestService::CloseAll() {
  std::vector<std::shared_ptr<AgentStream>> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [node, stream] : streams_) all.push_back(stream);
  }
  for (const auto& stream : all) {
    stream->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "collector shutting down"));
  }
}

size_t IngestService::StreamsConnected() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

grpc::ServerReadReactor<guts::diag::v1::BundleChunk>* IngestService::UploadBundle(
    grpc::CallbackServerContext* context, guts::diag::v1::UploadBundleResponse* response) {
  if (bundles_ != nullptr) return bundles_->UploadBundle(context, response);
  class Refuse : public grpc::ServerReadReactor<guts::diag::v1::BundleChunk> {
   public:
    Refuse() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "bundles not served")); }
    void OnDone() override { delete this; }
  };
  return new Refuse();
}

grpc::ServerUnaryReactor* IngestService::BundleUploadOffset(
    grpc::CallbackServerContext* context, const guts::diag::v1::BundleUploadOffsetRequest* request,
    guts::diag::v1::UploadBundleResponse* response) {
  if (bundles_ != nullptr) return bundles_->BundleUploadOffset(context, request, response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "bundles not served"));
  return reactor;
}

}  // namespace guts::collector
