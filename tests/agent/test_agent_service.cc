#include "tests/agent/test_agent_service.h"

#include "absl/time/clock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace guts::agent::testing {

namespace v1 = ::guts::diag::v1;

class TestAgentService::Service : public v1::AgentService::Service {
 public:
  explicit Service(std::shared_ptr<CollectorStore> store) : store_(std::move(store)) {}

  grpc::Status Connect(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) override {
    v1::AgentMessage message;
    if (!stream->Read(&message) || !message.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "first message must be a Hello");
    }
    v1::CollectorMessage reply;
    {
      std::lock_guard<std::mutex> lock(store_->mu);
      store_->hellos.push_back(message.hello());
      reply.mutable_hello_ack()->set_last_stored_seq(store_->last_stored);
    }
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      current_ = stream;
      stream->Write(reply);
    }
    while (stream->Read(&message)) {
      if (message.has_command_status()) {
        std::lock_guard<std::mutex> lock(store_->mu);
        store_->statuses.push_back(message.command_status());
        continue;
      }
      if (!message.has_snapshot()) continue;
      const v1::Snapshot& snapshot = message.snapshot();
      uint64_t ack;
      {
        std::lock_guard<std::mutex> lock(store_->mu);
        uint64_t seq = snapshot.seq();
        store_->received.push_back(seq);
        if (seq <= store_->last_stored) {
          const v1::Snapshot& kept = store_->stored[seq - 1];
          if (kept.taken_unix_ms() != snapshot.taken_unix_ms()) {
            store_->conflicting_replays.push_back(seq);
          }
        } else {
          if (seq != store_->last_stored + 1) store_->gaps.push_back(seq);
          while (store_->stored.size() + 1 < seq) store_->stored.emplace_back();  // hole
          store_->stored.push_back(snapshot);
          store_->last_stored = seq;
        }
        ack = store_->last_stored;
      }
      v1::CollectorMessage ack_message;
      ack_message.mutable_ack()->set_seq(ack);
      std::lock_guard<std::mutex> lock(write_mu_);
      stream->Write(ack_message);
    }
    std::lock_guard<std::mutex> lock(write_mu_);
    if (current_ == stream) current_ = nullptr;
    return grpc::Status::OK;
  }

  bool SendCommand(const v1::Command& command) {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (current_ == nullptr) return false;
    v1::CollectorMessage message;
    *message.mutable_command() = command;
    return current_->Write(message);
  }

 private:
  std::shared_ptr<CollectorStore> store_;
  std::mutex write_mu_;
  grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* current_ = nullptr;
};

TestAgentService::TestAgentService() : store_(std::make_shared<CollectorStore>()) {}

TestAgentService::~TestAgentService() { Stop(); }

int TestAgentService::Start(const std::string& ip, int port) {
  service_ = std::make_unique<Service>(store_);
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(ip + ":" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  return bound;
}

void TestAgentService::Stop() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
  service_.reset();
}

bool TestAgentService::SendCommand(const v1::Command& command) {
  return service_ && service_->SendCommand(command);
}

uint64_t LastStored(CollectorStore& store) {
  std::lock_guard<std::mutex> lock(store.mu);
  return store.last_stored;
}

int64_t NewestTakenMs(CollectorStore& store) {
  std::lock_guard<std::mutex> lock(store.mu);
  return store.stored.empty() ? 0 : store.stored.back().taken_unix_ms();
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > give_up) return done();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

}  // namespace guts::agent::testing
