// guts-grpc-floor: the least a gRPC collector can do with an agent's stream, to measure what
// gRPC itself costs on this machine (docs/benchmarks.md, "gRPC alone: `guts-grpc-floor`").
//
// It serves AgentService.Connect as the collector does (raw bytes, gRPC's callback API, the
// same server builder options that matter to throughput) and nothing else: each message is
// parsed as an AgentMessage (or, with --parse none, only counted) and acked at once with a
// cumulative Ack, one write in flight per stream, newer acks coalescing into the next write.
// No checks, no queue, no writer thread, no store, no fleet state, no analysis. guts-loadgen
// runs against it unchanged; the ingest ceiling it reaches is the ceiling of gRPC with this
// generator on this machine, whatever the collector does after the read. --api cq serves the
// same on gRPC's completion-queue API instead, to tell whether the API the collector uses is
// itself the cost.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/mutex_checks.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace {

using guts::diag::v1::AgentMessage;
using guts::diag::v1::CollectorMessage;

std::atomic<uint64_t> g_messages{0};

// One message read from a stream: a Hello, or a snapshot's seq. Parsing (or, without it,
// counting: guts-loadgen sends a Hello, then snapshots numbered from 1 without gaps) is done
// outside any lock; `received` counts the stream's messages before this one.
struct Read {
  bool ok = true;  // false: it does not parse as an AgentMessage
  bool hello = false;
  uint64_t seq = 0;
};

Read TakeRead(grpc::ByteBuffer* in, bool parse, uint64_t received) {
  Read r;
  if (parse) {
    AgentMessage m;
    grpc::ProtoBufferReader reader(in);
    r.ok = m.ParseFromZeroCopyStream(&reader);
    r.hello = m.has_hello();
    r.seq = m.has_snapshot() ? m.snapshot().seq() : 0;
  } else {
    r.hello = received == 0;
    r.seq = received;
  }
  in->Clear();
  if (r.ok) g_messages.fetch_add(1, std::memory_order_relaxed);
  return r;
}

// What a stream owes the generator: the HelloAck, then the newest cumulative Ack, coalesced
// while a write is in flight.
class OwedAcks {
 public:
  void Note(const Read& r) {
    if (r.hello) {
      hello_ = true;
    } else {
      ack_ = std::max(ack_, r.seq);
    }
  }

  // The next message owed, serialized into `out`; false when nothing is owed.
  bool Next(grpc::ByteBuffer* out) {
    CollectorMessage m;
    if (hello_) {
      hello_ = false;
      m.mutable_hello_ack();
    } else if (ack_ > sent_) {
      sent_ = ack_;
      m.mutable_ack()->set_seq(sent_);
    } else {
      return false;
    }
    grpc::ProtoBufferWriter writer(out, grpc::kProtoBufferWriterMaxBufferLength,
                                   static_cast<int>(m.ByteSizeLong()));
    m.SerializeToZeroCopyStream(&writer);
    return true;
  }

 private:
  bool hello_ = false;
  uint64_t ack_ = 0;
  uint64_t sent_ = 0;
};

class FloorReactor : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit FloorReactor(bool parse) : parse_(parse) { StartRead(&in_); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Close(grpc::Status::OK);
      return;
    }
    const Read r = TakeRead(&in_, parse_, received_++);
    if (!r.ok) {
      Close(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not an AgentMessage"));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      acks_.Note(r);
      if (!writing_) WriteNextLocked();
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    out_.Clear();
    if (ok && !closing_) WriteNextLocked();
    if (!writing_ && closing_) Finish(status_);
  }

  void OnDone() override { delete this; }

 private:
  // No more reads: finishes now, or once the write in flight is done.
  void Close(grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    status_ = std::move(status);
    if (!writing_) Finish(status_);
  }

  // REQUIRES: mu_ held, no write in flight.
  void WriteNextLocked() {
    if (!acks_.Next(&out_)) return;
    writing_ = true;
    StartWrite(&out_);
  }

  const bool parse_;
  grpc::ByteBuffer in_;
  uint64_t received_ = 0;  // only OnReadDone, one at a time, touches it
  std::mutex mu_;
  grpc::ByteBuffer out_;
  bool writing_ = false;
  bool closing_ = false;
  grpc::Status status_;
  OwedAcks acks_;
};

class FloorService final : public guts::diag::v1::AgentService::WithRawCallbackMethod_Connect<
                               guts::diag::v1::AgentService::Service> {
 public:
  explicit FloorService(bool parse) : parse_(parse) {}
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Connect(
      grpc::CallbackServerContext* /*context*/) override {
    return new FloorReactor(parse_);
  }

 private:
  const bool parse_;
};

// The same on gRPC's completion-queue API: one queue per thread, each call served by the thread
// whose queue accepted it, so a call's reads and writes never run at once and take no lock.
class CqCall {
 public:
  // An operation of a call, passed to gRPC as its tag.
  struct Tag {
    CqCall* call;
  };
  using Service =
      guts::diag::v1::AgentService::WithRawMethod_Connect<guts::diag::v1::AgentService::Service>;

  CqCall(Service* service, grpc::ServerCompletionQueue* cq, bool parse)
      : service_(service), cq_(cq), parse_(parse), stream_(&context_) {
    service_->RequestConnect(&context_, &stream_, cq_, cq_, &accepted_);
  }

  // One completion of this call's operation `tag`, on its queue's thread.
  void Completed(void* tag, bool ok) {
    if (tag == &accepted_) {
      if (!ok) {  // shutting down
        delete this;
        return;
      }
      new CqCall(service_, cq_, parse_);  // the next call on this queue
      stream_.Read(&in_, &read_);
    } else if (tag == &read_) {
      if (!ok) {
        closing_ = true;
      } else if (const Read r = TakeRead(&in_, parse_, received_++); r.ok) {
        acks_.Note(r);
        stream_.Read(&in_, &read_);
      } else {
        closing_ = true;
        status_ = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not an AgentMessage");
      }
      if (!writing_) WriteNext();
    } else if (tag == &write_) {
      writing_ = false;
      out_.Clear();
      if (ok && !closing_) WriteNext();
      if (!writing_ && closing_) Finish();
    } else {  // finished
      delete this;
    }
  }

 private:
  void WriteNext() {
    if (!acks_.Next(&out_)) {
      if (closing_) Finish();
      return;
    }
    writing_ = true;
    stream_.Write(out_, &write_);
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    stream_.Finish(status_, &finish_);
  }

  Service* const service_;
  grpc::ServerCompletionQueue* const cq_;
  const bool parse_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer> stream_;
  // The tags: their addresses name the operation that completed.
  Tag accepted_{this}, read_{this}, write_{this}, finish_{this};
  grpc::ByteBuffer in_, out_;
  uint64_t received_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  OwedAcks acks_;
  grpc::Status status_;
};

std::atomic<bool> g_stop{false};

}  // namespace

int main(int argc, char** argv) {
  guts::SkipMutexDeadlockDetection();  // as the collector does (common/mutex_checks.h)
  CLI::App app("guts-grpc-floor: AgentService.Connect that only parses and acks");
  std::string listen = "127.0.0.1:7400";
  std::string parse = "full";
  std::string api = "callback";
  std::string ready_file;
  int threads = 2;
  bool minimal_stack = false;
  app.add_option("--listen", listen, "gRPC address to serve");
  app.add_option("--parse", parse, "full: parse each message as an AgentMessage; none: count it")
      ->check(CLI::IsMember({"full", "none"}));
  app.add_option("--api", api,
                 "callback: gRPC's callback API, as the collector; cq: completion queues, one "
                 "per thread")
      ->check(CLI::IsMember({"callback", "cq"}));
  app.add_option("--threads", threads, "Threads polling the completion queues (--api cq)");
  app.add_flag("--minimal-stack", minimal_stack,
               "gRPC's minimal filter stack (GRPC_ARG_MINIMAL_STACK): no deadline, message size "
               "or census filters on the calls");
  app.add_option("--ready-file", ready_file,
                 "Written once serving: {\"grpc\": \"host:port\"}, the port bound");
  CLI11_PARSE(app, argc, argv);

  const bool parse_all = parse == "full";
  FloorService callback_service(parse_all);
  CqCall::Service cq_service;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(4 << 20);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 1000);
  if (minimal_stack) builder.AddChannelArgument(GRPC_ARG_MINIMAL_STACK, 1);
  if (api == "cq") {
    builder.RegisterService(&cq_service);
    for (int t = 0; t < threads; ++t) queues.push_back(builder.AddCompletionQueue());
  } else {
    builder.RegisterService(&callback_service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "guts-grpc-floor: cannot serve on %s\n", listen.c_str());
    return 1;
  }
  std::vector<std::thread> pollers;
  for (auto& queue : queues) {
    for (int k = 0; k < 16; ++k) new CqCall(&cq_service, queue.get(), parse_all);
    pollers.emplace_back([q = queue.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (q->Next(&tag, &ok)) static_cast<CqCall::Tag*>(tag)->call->Completed(tag, ok);
    });
  }
  const std::string bound = listen.substr(0, listen.rfind(':') + 1) + std::to_string(port);
  std::printf("guts-grpc-floor: serving %s (api %s, parse %s)\n", bound.c_str(), api.c_str(),
              parse.c_str());
  std::fflush(stdout);
  if (!ready_file.empty()) {
    std::ofstream(ready_file + ".tmp") << "{\"grpc\": \"" << bound << "\"}\n";
    std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  while (!g_stop) pause();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  for (auto& queue : queues) queue->Shutdown();
  for (std::thread& t : pollers) t.join();
  std::printf("guts-grpc-floor: %llu messages\n",
              static_cast<unsigned long long>(g_messages.load()));
  return 0;
}
