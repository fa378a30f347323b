#include "bench/loadgen/sim_agent.h"

namespace guts::bench {

SimAgent::SimAgent(guts::diag::v1::AgentService::Stub* stub, const std::string& node_id, int index,
                   int variants, int fleet)
    : maker_(node_id, index, static_cast<uint32_t>(index), fleet) {
  absl::Time now = absl::Now();
  for (int v = 0; v < variants; ++v) {
    variants_.emplace_back();
    *variants_.back().mutable_snapshot() = maker_.Next(static_cast<uint64_t>(v) + 1, now);
  }
  stub->async()->Connect(&context_, this);
  auto* hello = out_.mutable_hello();
  hello->set_node_id(node_id);
  hello->set_agent_version("loadgen");
  hello->set_role("validator");
  hello->set_interval_ms(1000);
  hello->set_p2p_addr(fleet > 0 ? RealisticSnapshot::P2pAddress(index) : "10.0.0.1:9000");
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
    // gRPC serializes the message inside StartWrite: the variant may be reused at once.
    guts::diag::v1::AgentMessage& m = variants_[next_variant_++ % variants_.size()];
    m.mutable_snapshot()->set_seq(seq);
    m.mutable_snapshot()->set_taken_unix_ms(absl::ToUnixMillis(absl::Now()));
    StartWrite(&m);
    return;
  }
  *out_.mutable_snapshot() = maker_.Next(seq, absl::Now());
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
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (in_.has_ack()) {
      absl::Time now = absl::Now();
      while (!unacked_.empty() && unacked_.front().seq <= in_.ack().seq()) {
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
