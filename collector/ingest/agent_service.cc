#include "collector/ingest/agent_service.h"

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/tls.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "spdlog/spdlog.h"

namespace guts::collector {

using guts::diag::v1::AgentMessage;
using guts::diag::v1::CollectorMessage;

namespace {

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
// StartWrite and Finish are called after the mutex is released: gRPC writes an ack at once on
// the calling thread and hands OnWriteDone to one of its own threads, which then waited for the
// writer thread to release this mutex (a futex wait and wake and two context switches; at
// 1 000 agents, for one ack in 8 to 25). writing_ and finish_sent_, set under the mutex, keep
// one caller at a time on those calls, and keep the reactor alive meanwhile: OnDone comes only
// after Finish, which is not called while a write is in flight.
// Note: gRPC may run OnReadDone inline from StartRead (ResumeRead), hence the recursive mutex.
class AgentStream : public AckSink {
 public:
  AgentStream(ConnectReactor* reactor, size_t max_inflight_bytes)
      : reactor_(reactor), max_inflight_bytes_(max_inflight_bytes) {}

  void Acked(uint64_t seq) override;

  // A snapshot of `bytes` went to the writer. True when the reactor may read the next
  // message now; false when the stream holds too much unacked data (Acked resumes reading).
  bool Submitted(uint64_t seq, size_t bytes) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    inflight_.push_back({seq, bytes});
    inflight_bytes_ += bytes;
    if (inflight_bytes_ <= max_inflight_bytes_) return true;
    read_paused_ = true;
    return false;
  }

  void Send(CollectorMessage m) {
    {
      std::lock_guard<std::recursive_mutex> lock(mu_);
      Enqueue(std::move(m));
    }
    StartNext();
  }
  // Flushes queued messages, then ends the stream with `status`. First call wins.
  void Finish(grpc::Status status);
  void OnWriteDone(bool ok);
  // The reactor is gone: drop everything from now on.
  void Detach() {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    reactor_ = nullptr;
  }

 private:
  // Queues `m` (an ack coalesces into a queued one). REQUIRES: mu_ held.
  void Enqueue(CollectorMessage m);
  // Starts the next write, or the Finish once the queue is empty, unless a write is in flight.
  // Called after releasing mu_ (only a read that ResumeRead completed inline may nest it
  // inside Acked's lock, as every call did before).
  void StartNext();

  std::recursive_mutex mu_;
  ConnectReactor* reactor_;
  const size_t max_inflight_bytes_;
  // Snapshots handed to the writer and not yet acked, oldest first. Vectors, not deques: a
  // stream holds one or two of each at a time, and libstdc++'s deque allocates over 500 bytes
  // the moment it is made, which at 10 000 streams was 12 MB for two empty queues each.
  struct Inflight {
    uint64_t seq;
    size_t bytes;
  };
  std::vector<Inflight> inflight_;
  // inflight_[0, inflight_head_) are acked already.
  size_t inflight_head_ = 0;
  size_t inflight_bytes_ = 0;
  bool read_paused_ = false;
  std::vector<CollectorMessage> queue_;
  // The message being written; cleared once written, so an idle stream holds no buffer.
  grpc::ByteBuffer current_;
  bool writing_ = false;
  bool finishing_ = false;
  bool finish_sent_ = false;
  grpc::Status status_;
};

// Seqs a node may run ahead per second of its silence, beyond AgentServiceOptions::max_seq_jump:
// far more than any agent snapshots (its interval is >= 10 ms).
constexpr uint64_t kSeqJumpPerSecond = 1000;
// No agent reaches this seq (1000 snapshots a second for 285 000 years).
constexpr uint64_t kMaxSeq = uint64_t{1} << 53;

class ConnectReactor : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ConnectReactor(AgentServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service),
        peer_(context->peer()),
        peer_cn_(PeerCommonName(*context)),
        stream_(std::make_shared<AgentStream>(this, service->options_.max_stream_inflight_bytes)) {
    service_->metrics_->streams.Increment();
    StartRead(&raw_in_);
  }

  // Called by AgentStream once acks brought the unacked bytes under the bound.
  void ResumeRead() { StartRead(&raw_in_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the agent closed its side, or the call is cancelled
      stream_->Finish(grpc::Status::OK);
      return;
    }
    // Parsed here and gone when this returns: a stream waiting for its next message (most of
    // them, most of the time: an agent sends once a second or less) holds no parsed message.
    // A member kept between reads held at least the emptied Snapshot (the parsed one is
    // swapped out to the writer), or the whole Hello until the first snapshot.
    AgentMessage in;
    absl::Status s = Parse(in);
    if (s.ok()) s = Handle(in);
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
      stream_->Finish(ToGrpcStatus(s));
      return;
    }
    if (std::exchange(paused_, false)) return;  // AgentStream::Acked resumes reading
    StartRead(&raw_in_);
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
  // The raw message into `in`: INVALID_ARGUMENT when it is not an AgentMessage (bad wire
  // format, or a string that is not UTF-8).
  absl::Status Parse(AgentMessage& in) {
    grpc::ProtoBufferReader reader(&raw_in_);
    bool parsed = in.ParseFromZeroCopyStream(&reader);
    raw_in_.Clear();
    if (parsed) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "message does not parse as guts.diag.v1.AgentMessage (bad wire format, or a string "
        "field that is not valid UTF-8)");
  }

  absl::Status Handle(AgentMessage& in) {
    switch (in.msg_case()) {
      case AgentMessage::kHello:
        return HandleHello(in.hello());
      case AgentMessage::kSnapshot:
        return HandleSnapshot(in.mutable_snapshot());
      case AgentMessage::kCommandStatus:
        if (node_.empty()) return NotHello();
        if (service_->bundles_ == nullptr) {
          spdlog::warn("node {} reported command {} but no bundle service runs", node_,
                       in.command_status().command_id());
        } else {
          service_->bundles_->OnCommandStatus(node_, in.command_status());
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

  absl::Status HandleHello(const guts::diag::v1::Hello& hello) {
    if (!node_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("second Hello on the stream of ", node_));
    }
    if (absl::Status s = ValidateHello(hello, service_->options_.limits); !s.ok()) return s;
    if (service_->options_.require_client_identity && hello.node_id() != peer_cn_) {
      return absl::PermissionDeniedError(absl::StrCat("hello claims node \"", hello.node_id(),
                                                      "\" but the client certificate is "
                                                      "for \"",
                                                      peer_cn_, "\""));
    }
    if (hello.next_seq() > kMaxSeq) {
      return absl::InvalidArgumentError(
          absl::StrCat("hello.next_seq ", hello.next_seq(), " is beyond any agent's (2^53)"));
    }
    node_ = hello.node_id();
    absl::Time now = absl::Now();
    hello_next_seq_ = hello.next_seq();
    hello_at_ = now;
    RebaseIfBehind(hello);
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

  absl::Status HandleSnapshot(guts::diag::v1::Snapshot* snapshot) {
    if (node_.empty()) return NotHello();
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
    if (absl::Status s = CheckSeqJump(snapshot->seq(), now); !s.ok()) return s;
    if (absl::Status s = service_->rate_limit_.Admit(node_, now); !s.ok()) {
      rate_limited_ = true;
      return s;
    }
    snapshot->set_node_id(node_);
    service_->metrics_->snapshots_received.Increment();
    PendingSnapshot pending;
    // ValidateSnapshot sized it already (the node id set above adds a few bytes at most).
    pending.bytes = static_cast<size_t>(snapshot->GetCachedSize()) + node_.size();
    pending.snapshot.Swap(snapshot);
    pending.received = now;
    pending.ack = stream_;
    last_seq_ = pending.snapshot.seq();
    // Counted before the writer can ack it, so the ack always finds it.
    paused_ = !stream_->Submitted(last_seq_, pending.bytes);
    return service_->writer_->Submit(std::move(pending));
  }

  // An agent numbers its snapshots one by one, so its seq can run ahead of what is stored only
  // by what it could have made meanwhile. A seq far beyond is refused, so that no single
  // message can move the node's stored mark out of its agent's reach.
  absl::Status CheckSeqJump(uint64_t seq, absl::Time now) const {
    if (seq > kMaxSeq) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot seq ", seq, " is beyond any agent's (2^53)"));
    }
    const SnapshotWriter::StoredMark stored = service_->writer_->LastStored(node_);
    uint64_t base = stored.seq;
    absl::Time since = stored.received;
    if (stored.seq == 0 || since == absl::InfinitePast()) {
      base = hello_next_seq_ > 0 ? hello_next_seq_ - 1 : 0;
      since = hello_at_;
    }
    double seconds = std::max(0.0, absl::ToDoubleSeconds(now - since));
    uint64_t allowance = service_->options_.max_seq_jump +
                         static_cast<uint64_t>(std::min(seconds, 1e9) * kSeqJumpPerSecond);
    if (seq <= base || seq - base <= allowance) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot seq ", seq, " of node ", node_, " is ", seq - base, " ahead of seq ",
                     base, " (stored or announced in the Hello) after ",
                     absl::FormatDuration(absl::Trunc(now - since, absl::Seconds(1))), "; at most ",
                     allowance, " accepted: an agent's seq grows by one per snapshot"));
  }

  // The agent is behind what is stored of its node (its spool was reset, or a snapshot once
  // claimed a seq the agent never made): the node's stored mark goes back to what this agent
  // has had acked, so its snapshots are stored again instead of being taken for replays.
  void RebaseIfBehind(const guts::diag::v1::Hello& hello) {
    uint64_t stored = service_->writer_->LastStoredSeq(node_);
    if (hello.next_seq() == 0 || hello.next_seq() - 1 >= stored) return;
    uint64_t mark = std::min(hello.last_acked_seq(), hello.next_seq() - 1);
    spdlog::warn(
        "agent of {} is behind the store (next seq {}, stored up to seq {}): its spool "
        "was reset, or a snapshot claimed a seq the agent never made; storing its "
        "snapshots after seq {}",
        node_, hello.next_seq(), stored, mark);
    service_->writer_->RebaseNode(node_, mark);
  }

  // Tells the rate limit how many spooled snapshots the agent is about to replay: the Hello's
  // next_seq minus what is stored or acked already.
  void ExpectBacklog(const guts::diag::v1::Hello& hello, absl::Time now) {
    const SnapshotWriter::StoredMark stored = service_->writer_->LastStored(node_);
    uint64_t done = std::max(stored.seq, hello.last_acked_seq());
    uint64_t spooled_up_to = hello.next_seq() == 0 ? 0 : hello.next_seq() - 1;
    uint64_t backlog = spooled_up_to > done ? spooled_up_to - done : 0;
    // Silent since the last stored snapshot (known from the store, across restarts). A node
    // never stored: since its agent started, but never before this collector started: what
    // the Hello claims buys no credit beyond what the collector itself has seen.
    absl::Time quiet_since = stored.received;
    if (quiet_since == absl::InfinitePast()) {
      quiet_since = std::max(absl::FromUnixMillis(hello.agent_start_unix_ms()),
                             service_->writer_->Health(now).started);
    }
    quiet_since = std::clamp(quiet_since, now - service_->options_.limits.max_past, now);
    service_->rate_limit_.Connected(node_, backlog, quiet_since, now);
  }

  AgentServiceImpl* const service_;
  const std::string peer_;
  const std::string peer_cn_;
  std::shared_ptr<AgentStream> stream_;
  // The message being read; emptied once parsed.
  grpc::ByteBuffer raw_in_;
  // The last snapshot took the stream over its unacked-bytes bound: no read until acks.
  bool paused_ = false;
  uint64_t hello_next_seq_ = 0;
  absl::Time hello_at_;
  // Set by the Hello; only OnReadDone (one at a time) touches these.
  std::string node_;
  uint64_t last_seq_ = 0;
  bool rate_limited_ = false;
};

void AgentStream::Acked(uint64_t seq) {
  CollectorMessage m;
  m.mutable_ack()->set_seq(seq);
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    while (inflight_head_ < inflight_.size() && inflight_[inflight_head_].seq <= seq) {
      inflight_bytes_ -= inflight_[inflight_head_].bytes;
      ++inflight_head_;
    }
    // Acked entries go when none is left, or when they are over half (a stream held back by
    // its bound has thousands in flight: no move of them all at every ack).
    if (inflight_head_ == inflight_.size()) {
      inflight_.clear();
      inflight_head_ = 0;
    } else if (inflight_head_ * 2 >= inflight_.size()) {
      inflight_.erase(inflight_.begin(), inflight_.begin() + static_cast<long>(inflight_head_));
      inflight_head_ = 0;
    }
    Enqueue(std::move(m));
    if (read_paused_ && inflight_bytes_ <= max_inflight_bytes_ && reactor_ != nullptr &&
        !finishing_) {
      read_paused_ = false;
      reactor_->ResumeRead();
    }
  }
  StartNext();
}

void AgentStream::Enqueue(CollectorMessage m) {
  if (reactor_ == nullptr || finishing_) return;
  if (m.has_ack() && !queue_.empty() && queue_.back().has_ack()) {
    queue_.back().mutable_ack()->set_seq(std::max(queue_.back().ack().seq(), m.ack().seq()));
    return;
  }
  queue_.push_back(std::move(m));
}

void AgentStream::Finish(grpc::Status status) {
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (reactor_ == nullptr || finishing_) return;
    finishing_ = true;
    status_ = std::move(status);
  }
  StartNext();
}

void AgentStream::OnWriteDone(bool ok) {
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    writing_ = false;
    current_.Clear();
    if (!ok) queue_.clear();  // the stream is broken; reads fail next and finish it
  }
  StartNext();
}

void AgentStream::StartNext() {
  ConnectReactor* reactor = nullptr;
  bool finish = false;
  grpc::Status status;
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (reactor_ == nullptr || writing_ || finish_sent_) return;
    if (!queue_.empty()) {
      CollectorMessage next = std::move(queue_.front());
      queue_.erase(queue_.begin());
      grpc::ProtoBufferWriter writer(&current_, grpc::kProtoBufferWriterMaxBufferLength,
                                     static_cast<int>(next.ByteSizeLong()));
      next.SerializeToZeroCopyStream(&writer);
      writing_ = true;
    } else if (finishing_) {
      finish_sent_ = true;
      finish = true;
      status = status_;
    } else {
      return;
    }
    reactor = reactor_;
  }
  // Outside the mutex (the class comment says why). The reactor lives until OnDone, which
  // gRPC calls only after Finish; Finish is not called while this write is in flight, and is
  // called once.
  if (finish) {
    reactor->Finish(status);
  } else {
    reactor->StartWrite(&current_);
  }
}

AgentServiceImpl::AgentServiceImpl(SnapshotWriter* writer, FleetState* fleet,
                                   CollectorMetrics* metrics, AgentServiceOptions options)
    : writer_(writer),
      fleet_(fleet),
      metrics_(metrics),
      options_(std::move(options)),
      rate_limit_(options_.rate_limit) {}

AgentServiceImpl::~AgentServiceImpl() = default;

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AgentServiceImpl::Connect(
    grpc::CallbackServerContext* context) {
  return new ConnectReactor(this, context);
}

void AgentServiceImpl::Register(const std::string& node_id, std::shared_ptr<AgentStream> stream) {
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

bool AgentServiceImpl::Unregister(const std::string& node_id, const AgentStream* stream) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(node_id);
  if (it == streams_.end() || it->second.get() != stream) return false;
  streams_.erase(it);
  return true;
}

bool AgentServiceImpl::SendCommand(const std::string& node_id,
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

void AgentServiceImpl::CloseAll() {
  std::vector<std::shared_ptr<AgentStream>> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [node, stream] : streams_) all.push_back(stream);
  }
  for (const auto& stream : all) {
    stream->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "collector shutting down"));
  }
}

size_t AgentServiceImpl::StreamsConnected() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

grpc::ServerReadReactor<guts::diag::v1::BundleChunk>* AgentServiceImpl::UploadBundle(
    grpc::CallbackServerContext* context, guts::diag::v1::UploadBundleResponse* response) {
  if (bundles_ != nullptr) return bundles_->UploadBundle(context, response);
  class Refuse : public grpc::ServerReadReactor<guts::diag::v1::BundleChunk> {
   public:
    Refuse() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "bundles not served")); }
    void OnDone() override { delete this; }
  };
  return new Refuse();
}

grpc::ServerUnaryReactor* AgentServiceImpl::BundleUploadOffset(
    grpc::CallbackServerContext* context, const guts::diag::v1::BundleUploadOffsetRequest* request,
    guts::diag::v1::UploadBundleResponse* response) {
  if (bundles_ != nullptr) return bundles_->BundleUploadOffset(context, request, response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "bundles not served"));
  return reactor;
}

}  // namespace guts::collector
