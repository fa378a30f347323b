#include "bench/loadgen/sim_agent.h"

#include <cstdlib>
#include <iostream>

#include "grpc/slice.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace guts::bench {
namespace {

using guts::diag::v1::AgentMessage;
using guts::diag::v1::CollectorMessage;

constexpr char kConnectMethod[] = "/guts.diag.v1.AgentService/Connect";
// Wire tags: AgentMessage.snapshot (field 2, length-delimited); Snapshot.seq (field 2, varint)
// and Snapshot.taken_unix_ms (field 3, varint).
constexpr uint8_t kSnapshotTag = 2 << 3 | 2;
constexpr uint8_t kSeqTag = 2 << 3;
constexpr uint8_t kTakenTag = 3 << 3;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

uint8_t* PutVarint(uint64_t v, uint8_t* p) {
  for (; v >= 0x80; v >>= 7) *p++ = static_cast<uint8_t>(v | 0x80);
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// `bytes` as one slice, in `out`.
void ToByteBuffer(const std::string& bytes, grpc::ByteBuffer* out) {
  grpc::Slice slice(bytes.data(), bytes.size());
  *out = grpc::ByteBuffer(&slice, 1);
}

}  // namespace

EncodedSnapshot::EncodedSnapshot(guts::diag::v1::Snapshot& snapshot) {
  // Serialized from the snapshot itself, not a copy: a map's fields come out in the order of
  // its own table, which a copy may not keep.
  const uint64_t seq = snapshot.seq();
  const int64_t taken = snapshot.taken_unix_ms();
  std::string node_id = snapshot.node_id();
  snapshot.clear_seq();
  snapshot.clear_taken_unix_ms();
  snapshot.clear_node_id();
  tail_ = snapshot.SerializeAsString();
  snapshot.set_node_id(std::move(node_id));
  guts::diag::v1::Snapshot head;
  head.set_node_id(snapshot.node_id());
  head_ = head.SerializeAsString();
  snapshot.set_seq(seq);
  snapshot.set_taken_unix_ms(taken);
  // What the typed stub sent (gRPC serialized the AgentMessage with SerializeAsString's
  // bytes) against what Encode sends, for one seq and time of each width's kind. The snapshot
  // is swapped in and back, not copied (the map order, above).
  constexpr uint64_t kSeq = 123456789;
  constexpr int64_t kTaken = 1765000000123;
  snapshot.set_seq(kSeq);
  snapshot.set_taken_unix_ms(kTaken);
  AgentMessage typed;
  typed.mutable_snapshot()->Swap(&snapshot);
  const std::string expected = typed.SerializeAsString();
  typed.mutable_snapshot()->Swap(&snapshot);
  snapshot.set_seq(seq);
  snapshot.set_taken_unix_ms(taken);
  grpc::ByteBuffer buffer;
  Encode(kSeq, kTaken, &buffer);
  std::vector<grpc::Slice> slices;
  std::string encoded;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      encoded.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  if (encoded != expected) {
    std::cerr << "guts-loadgen: pre-encoded snapshot differs from protobuf's serialization\n";
    std::abort();
  }
}

void EncodedSnapshot::Encode(uint64_t seq, int64_t taken_unix_ms, grpc::ByteBuffer* out) const {
  // Protobuf leaves a field at zero out; a sent snapshot always has both set (seq >= 1).
  const uint64_t taken = static_cast<uint64_t>(taken_unix_ms);
  const size_t inner = head_.size() + (seq != 0 ? 1 + VarintSize(seq) : 0) +
                       (taken != 0 ? 1 + VarintSize(taken) : 0) + tail_.size();
  const size_t total = 1 + VarintSize(inner) + inner;
  grpc_slice slice = grpc_slice_malloc(total);
  uint8_t* p = GRPC_SLICE_START_PTR(slice);
  *p++ = kSnapshotTag;
  p = PutVarint(inner, p);
  p = std::copy(head_.begin(), head_.end(), p);
  if (seq != 0) {
    *p++ = kSeqTag;
    p = PutVarint(seq, p);
  }
  if (taken != 0) {
    *p++ = kTakenTag;
    p = PutVarint(taken, p);
  }
  std::copy(tail_.begin(), tail_.end(), p);
  grpc::Slice owned(slice, grpc::Slice::STEAL_REF);
  *out = grpc::ByteBuffer(&owned, 1);
}

SimAgent::SimAgent(grpc::GenericStub* stub, const std::string& node_id, int index, int variants,
                   int fleet)
    : maker_(node_id, index, static_cast<uint32_t>(index), fleet) {
  absl::Time now = absl::Now();
  for (int v = 0; v < variants; ++v) {
    guts::diag::v1::Snapshot s = maker_.Next(static_cast<uint64_t>(v) + 1, now);
    variants_.emplace_back(s);
  }
  stub->PrepareBidiStreamingCall(&context_, kConnectMethod, grpc::StubOptions(), this);
  AgentMessage hello_message;
  auto* hello = hello_message.mutable_hello();
  hello->set_node_id(node_id);
  hello->set_agent_version("loadgen");
  hello->set_role("validator");
  hello->set_interval_ms(1000);
  hello->set_p2p_addr(fleet > 0 ? RealisticSnapshot::P2pAddress(index) : "10.0.0.1:9000");
  ToByteBuffer(hello_message.SerializeAsString(), &out_);
  writing_ = true;
  StartWrite(&out_);
  StartRead(&in_);
  StartCall();
}

void SimAgent::Due(absl::Time scheduled) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (broken_) return;
  due_.push_back(scheduled);
  if (!writing_) WriteNext();
}

void SimAgent::WriteNext() {
  if (due_.empty() || broken_) return;
  absl::Time scheduled = due_.front();
  due_.pop_front();
  uint64_t seq = next_seq_++;
  unacked_.push_back({seq, scheduled, absl::Now()});
  writing_ = true;
  if (!variants_.empty()) {
    variants_[next_variant_++ % variants_.size()].Encode(seq, absl::ToUnixMillis(absl::Now()),
                                                         &out_);
    StartWrite(&out_);
    return;
  }
  AgentMessage m;
  *m.mutable_snapshot() = maker_.Next(seq, absl::Now());
  ToByteBuffer(m.SerializeAsString(), &out_);
  StartWrite(&out_);
}

void SimAgent::OnWriteDone(bool ok) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  writing_ = false;
  if (!ok) {
    broken_ = true;
    return;
  }
  hello_done_ = true;
  WriteNext();
}

void SimAgent::OnReadDone(bool ok) {
  if (!ok) return;
  CollectorMessage in;
  {
    grpc::ProtoBufferReader reader(&in_);
    if (!in.ParseFromZeroCopyStream(&reader)) in.Clear();
    in_.Clear();
  }
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (in.has_ack()) {
      absl::Time now = absl::Now();
      while (!unacked_.empty() && unacked_.front().seq <= in.ack().seq()) {
        const Unacked& u = unacked_.front();
        if (u.scheduled >= measure_from_ && u.scheduled < measure_to_) {
          latencies_ms_.push_back(
              static_cast<float>(absl::ToDoubleMilliseconds(now - u.scheduled)));
          send_delays_ms_.push_back(
              static_cast<float>(absl::ToDoubleMilliseconds(u.sent - u.scheduled)));
          latencies_from_send_ms_.push_back(
              static_cast<float>(absl::ToDoubleMilliseconds(now - u.sent)));
          ++acked_measured_;
        }
        unacked_.pop_front();
      }
    }
  }
  StartRead(&in_);
}

void SimAgent::OnDone(const grpc::Status& status) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  status_ = status;
  done_ = true;
  broken_ = true;
  done_cv_.notify_all();
}

void SimAgent::MeasureWindow(absl::Time from, absl::Time to) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  measure_from_ = from;
  measure_to_ = to;
}

uint64_t SimAgent::unacked_in_window() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (broken_) return 0;  // nothing more will be acked
  auto in_window = [this](absl::Time t) { return t >= measure_from_ && t < measure_to_; };
  uint64_t n = 0;
  for (const Unacked& u : unacked_) n += in_window(u.scheduled);
  for (absl::Time t : due_) n += in_window(t);
  return n;
}

grpc::Status SimAgent::Await() {
  std::unique_lock<std::recursive_mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return done_; });
  return status_;
}

std::vector<float> SimAgent::TakeLatencies() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return std::move(latencies_ms_);
}

std::vector<float> SimAgent::TakeSendDelays() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return std::move(send_delays_ms_);
}

std::vector<float> SimAgent::TakeLatenciesFromSend() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return std::move(latencies_from_send_ms_);
}

uint64_t SimAgent::acked_measured() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return acked_measured_;
}

bool SimAgent::done() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  return done_;
}

}  // namespace guts::bench
