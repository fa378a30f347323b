#include "agent/stream_client.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "guts/diag/v1/agent.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace guts::agent {

namespace v1 = ::guts::diag::v1;

namespace {
constexpr size_t kMaxQueuedStatuses = 256;
// Records per spool read while replaying; bounds the memory a replay holds at once.
constexpr size_t kReplayBatch = 256;
}  // namespace

// Everything the threads share. Held by shared_ptr so that the `report` callbacks given to the
// command handler stay valid even after the client is gone.
struct StreamClient::State {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool started = false;
  uint64_t notifications = 0;
  std::deque<v1::CommandStatus> statuses;
  bool connected = false;
  // The live stream's context, so that Stop() can cancel a Write blocked on flow control.
  grpc::ClientContext* context = nullptr;
  std::thread writer;
};

StreamClient::StreamClient(StreamClientOptions options, Spool* spool, AgentMetrics* metrics)
    : options_(std::move(options)),
      spool_(spool),
      metrics_(metrics),
      collector_metrics_(metrics->ForCollector(options_.collector)),
      state_(std::make_shared<State>()) {}

StreamClient::~StreamClient() { Stop(); }

void StreamClient::SetCommandHandler(std::shared_ptr<CommandHandler> handler) {
  handler_ = std::move(handler);
}

void StreamClient::Start() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->started) return;
  state_->started = true;
  state_->writer = std::thread([this] { Run(); });
}

void StreamClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
    if (state_->context != nullptr) state_->context->TryCancel();
    state_->cv.notify_all();
  }
  if (state_->writer.joinable()) state_->writer.join();
}

void StreamClient::Notify() {
  std::lock_guard<std::mutex> lock(state_->mu);
  ++state_->notifications;
  state_->cv.notify_all();
}

bool StreamClient::connected() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->connected;
}

void StreamClient::Run() {
  pthread_setname_np(pthread_self(), "stream:write");
  std::mt19937_64 random(std::random_device{}());
  int failures = 0;
  bool first = true;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->stopping) return;
    }
    if (!first) {
      metrics_->reconnects().Increment();
      collector_metrics_.reconnects->Increment();
    }
    first = false;
    if (RunStream()) failures = 0;
    absl::Duration delay =
        std::min(options_.backoff_max, options_.backoff_min * (1ll << std::min(failures, 20)));
    ++failures;
    // Jitter spreads the reconnects of a whole fleet after a collector restart.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    delay = std::max(options_.backoff_min, delay * jitter(random));
    std::unique_lock<std::mutex> lock(state_->mu);
    state_->cv.wait_for(lock, absl::ToChronoNanoseconds(delay), [&] { return state_->stopping; });
  }
}

bool StreamClient::RunStream() {
  grpc::ChannelArguments args;
  // Detect a collector that vanished without closing the connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // No bandwidth-delay probing: its PINGs (packets, timers, wake-ups) size flow-control
  // windows that 2 KB a second never fills.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  const size_t cursor_index = options_.spool_cursor;
  auto channel = grpc::CreateCustomChannel(options_.collector, options_.credentials, args);
  auto stub = v1::AgentService::NewStub(channel);
  grpc::ClientContext context;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return false;
    state_->context = &context;
  }
  auto stream = stub->Connect(&context);

  v1::AgentMessage hello_message;
  v1::Hello& hello = *hello_message.mutable_hello();
  hello = options_.hello;
  hello.set_last_acked_seq(spool_->last_acked(cursor_index));
  hello.set_next_seq(spool_->NextSeq());
  hello.set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));

  bool hello_acked = false;
  bool broken = false;
  std::thread reader;
  if (stream->Write(hello_message)) {
    reader = std::thread([&] {
      pthread_setname_np(pthread_self(), "stream:read");
      v1::CollectorMessage message;
      while (stream->Read(&message)) {
        if (message.has_hello_ack()) {
          if (absl::Status s = spool_->Ack(cursor_index, message.hello_ack().last_stored_seq());
              !s.ok()) {
            spdlog::error("spool ack: {}", std::string(s.message()));
          }
          std::lock_guard<std::mutex> lock(state_->mu);
          hello_acked = true;
          state_->connected = true;
          metrics_->connected().Increment();
          collector_metrics_.connected->Set(1);
          state_->cv.notify_all();
        } else if (message.has_ack()) {
          if (absl::Status s = spool_->Ack(cursor_index, message.ack().seq()); !s.ok()) {
            spdlog::error("spool ack: {}", std::string(s.message()));
          }
        } else if (message.has_command()) {
          std::weak_ptr<State> weak = state_;
          auto report = [weak](v1::CommandStatus status) {
            std::shared_ptr<State> state = weak.lock();
            if (!state) return;
            std::lock_guard<std::mutex> lock(state->mu);
            state->statuses.push_back(std::move(status));
            if (state->statuses.size() > kMaxQueuedStatuses) state->statuses.pop_front();
            state->cv.notify_all();
          };
          if (handler_) {
            handler_->HandleFrom(options_.collector, message.command(), report);
          } else {
            v1::CommandStatus rejected;
            rejected.set_command_id(message.command().id());
            rejected.set_state(v1::CommandStatus::REJECTED);
            rejected.set_message("this agent has no handler for commands");
            report(rejected);
          }
        }
      }
      std::lock_guard<std::mutex> lock(state_->mu);
      broken = true;
      state_->cv.notify_all();
    });
  } else {
    broken = true;
  }

  std::unique_lock<std::mutex> lock(state_->mu);
  bool ready = state_->cv.wait_for(lock, absl::ToChronoNanoseconds(options_.hello_timeout),
                                   [&] { return hello_acked || broken || state_->stopping; });
  if (ready && hello_acked && !broken && !state_->stopping) {
    spdlog::info("connected to collector {}; replaying from seq {}", options_.collector,
                 spool_->last_acked(cursor_index) + 1);
    uint64_t cursor = 0;  // highest seq written on this stream
    bool failed = false;
    while (!failed) {
      cursor = std::max(cursor, spool_->last_acked(cursor_index));
      state_->cv.wait(lock, [&] {
        return broken || state_->stopping || !state_->statuses.empty() ||
               spool_->NextSeq() - 1 > std::max(cursor, spool_->last_acked(cursor_index));
      });
      if (broken || state_->stopping) break;
      std::deque<v1::CommandStatus> statuses;
      statuses.swap(state_->statuses);
      lock.unlock();
      for (v1::CommandStatus& status : statuses) {
        v1::AgentMessage message;
        *message.mutable_command_status() = std::move(status);
        if (!stream->Write(message)) {
          failed = true;
          break;
        }
      }
      absl::StatusOr<std::vector<SpoolRecord>> records =
          failed ? std::vector<SpoolRecord>{} : spool_->ReadAfter(cursor, kReplayBatch);
      if (!records.ok()) {
        spdlog::error("spool read: {}", std::string(records.status().message()));
        failed = true;
      } else {
        for (const SpoolRecord& record : *records) {
          v1::AgentMessage message;
          if (!message.mutable_snapshot()->ParseFromString(record.payload)) {
            spdlog::error("spool record seq {} does not parse; skipping it", record.seq);
          } else if (!stream->Write(message)) {
            failed = true;
            break;
          } else {
            metrics_->snapshots_sent().Increment();
          }
          cursor = record.seq;
        }
      }
      metrics_->last_acked_seq().Set(static_cast<double>(spool_->last_acked()));
      collector_metrics_.last_acked_seq->Set(static_cast<double>(spool_->last_acked(cursor_index)));
      lock.lock();
    }
  } else if (!hello_acked && !broken && !state_->stopping) {
    spdlog::warn("collector {} sent no HelloAck within {}; reconnecting", options_.collector,
                 absl::FormatDuration(options_.hello_timeout));
  }
  if (state_->connected) {
    metrics_->connected().Decrement();
    collector_metrics_.connected->Set(0);
  }
  state_->connected = false;
  state_->context = nullptr;
  lock.unlock();

  context.TryCancel();
  if (reader.joinable()) reader.join();
  grpc::Status status = stream->Finish();
  if (hello_acked) {
    spdlog::warn("collector stream to {} closed: {}", options_.collector,
                 status.error_message().empty() ? "cancelled" : status.error_message());
  } else {
    spdlog::debug("collector {} unreachable: {}", options_.collector, status.error_message());
  }
  return hello_acked;
}

}  // namespace guts::agent
