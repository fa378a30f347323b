// The agent's long-lived Connect stream to one collector (one client per collector in the
// agent's list, each with its own spool cursor, threads and backoff, so a dead collector never
// slows the stream to another). It sends a Hello, then every spooled snapshot in seq order
// (replaying whatever this collector has not acked after a reconnect), applies the collector's
// cumulative acks to its spool cursor, and hands Commands to the CommandHandler, saying which
// collector asked.
// Reconnects with exponential backoff and jitter (backoff_min doubling to backoff_max, each
// delay drawn in [d/2, d]); the backoff restarts after a stream that got its HelloAck.
//
// The snapshot thread never waits on the network: it appends to the spool and calls Notify().
//
// Example:
//   StreamClient client(options, spool.get(), &metrics);
//   client.SetCommandHandler(bundle_handler);
//   client.Start();
//   ... spool->Append(seq, bytes); client.Notify(); ...
//   client.Stop();
//
// Thread-safe. Runs on two threads of its own: a writer (connect, hello, send) and a reader
// per connected stream (acks, commands).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "agent/agent_metrics.h"
#include "agent/command_handler.h"
#include "agent/spool.h"
#include "grpcpp/security/credentials.h"
#include "guts/diag/v1/agent.pb.h"

namespace guts::agent {

struct StreamClientOptions {
  std::string collector;  // "host:port"
  // This collector's ack cursor in the spool (its index in the list the spool was opened with).
  size_t spool_cursor = 0;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Sent at every connect; last_acked_seq, next_seq and sent_unix_ms are filled in then.
  ::guts::diag::v1::Hello hello;
  absl::Duration backoff_min = absl::Milliseconds(500);
  absl::Duration backoff_max = absl::Seconds(10);
  // A stream without HelloAck this long after the Hello is abandoned and retried.
  absl::Duration hello_timeout = absl::Seconds(10);
};

class StreamClient {
 public:
  // `spool` and `metrics` must outlive the client.
  StreamClient(StreamClientOptions options, Spool* spool, AgentMetrics* metrics);
  ~StreamClient();  // Stop()s.
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // REQUIRES: called before Start(). Without a handler, commands are answered REJECTED.
  void SetCommandHandler(std::shared_ptr<CommandHandler> handler);

  void Start();
  // Closes the stream and joins the threads. Idempotent.
  void Stop();

  // Something new is in the spool.
  void Notify();

  // True while a stream is up and its HelloAck arrived.
  bool connected() const;

 private:
  struct State;
  void Run();
  // One stream from connect to failure; returns true when it got a HelloAck.
  bool RunStream();

  StreamClientOptions options_;
  Spool* spool_;
  AgentMetrics* metrics_;
  AgentMetrics::Collector collector_metrics_;
  std::shared_ptr<CommandHandler> handler_;
  std::shared_ptr<State> state_;
};

}  // namespace guts::agent
