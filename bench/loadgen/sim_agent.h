// SimAgent: one simulated agent on gRPC's callback client API — one long-lived Connect stream,
// no thread of its own. The pacer calls Due() when the agent's next snapshot is scheduled
// (open loop: the schedule does not wait for acks); the agent writes it as soon as the stream
// takes it and records, per cumulative ack, the latency from the scheduled time of every
// snapshot it covers. It also records how late each write started (the generator's own delay:
// a pacer thread starts its channel's share of an aligned round's writes one after another),
// so that a report can tell the collector's part of a latency from the generator's.
//
// Example:
//   SimAgent agent(stub.get(), "v17", 17);
//   agent.Due(absl::Now());
//   ...
//   agent.Cancel(); agent.Await();
//
// Thread-safe: Due, Cancel and the accessors may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "grpcpp/grpcpp.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace guts::bench {

class SimAgent : public grpc::ClientBidiReactor<guts::diag::v1::AgentMessage,
                                                guts::diag::v1::CollectorMessage> {
 public:
  // `variants` > 0: the agent makes that many realistic snapshots up front and sends them in
  // turn, each with its own seq and taken time, so that the generator's cost stays small next
  // to the collector's (the ceilings); 0: a fresh one per send (realistic bytes for the disk
  // figures, at several times the generator's CPU).
  // `fleet` > 0: the agents form one consistent network of that many nodes (each Hello
  // announces its own P2P address, the peers reported match; RealisticSnapshot); 0: every
  // agent announces 10.0.0.1:9000 and its peers match no other agent's.
  SimAgent(guts::diag::v1::AgentService::Stub* stub, const std::string& node_id, int index,
           int variants = 0, int fleet = 0);

  // One more snapshot is due, scheduled at `scheduled`.
  void Due(absl::Time scheduled);
  // The measured snapshots: those scheduled in [from, to), whenever their acks come. Counting
  // by ack time instead miscounted bursts: with every agent on the grid, a whole round's acks
  // fall in or out of the window at each end, so a 10 s window counted 94-102 % of what was
  // acked in steady state.
  void MeasureWindow(absl::Time from, absl::Time to);
  // Snapshots scheduled in the window and not yet acked.
  uint64_t unacked_in_window();
  void Cancel() { context_.TryCancel(); }
  // Waits until the stream ended; returns its status.
  grpc::Status Await();

  // Latencies (ms) of the measured snapshots acked, and how many were acked.
  std::vector<float> TakeLatencies();
  // Per measured snapshot acked: how long after its scheduled time its write started (ms), and
  // its ack's latency from that start (ms).
  std::vector<float> TakeSendDelays();
  std::vector<float> TakeLatenciesFromSend();
  uint64_t acked_measured();
  bool done();

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void WriteNext();  // REQUIRES: mu_ held, no write in flight

  grpc::ClientContext context_;
  RealisticSnapshot maker_;
  std::recursive_mutex mu_;
  std::condition_variable_any done_cv_;
  guts::diag::v1::AgentMessage out_;
  std::vector<guts::diag::v1::AgentMessage> variants_;  // made up front (see the constructor)
  size_t next_variant_ = 0;
  guts::diag::v1::CollectorMessage in_;
  bool writing_ = false;
  bool hello_done_ = false;
  bool broken_ = false;
  bool done_ = false;
  absl::Time measure_from_ = absl::InfiniteFuture();
  absl::Time measure_to_ = absl::InfiniteFuture();
  grpc::Status status_;
  std::deque<absl::Time> due_;  // scheduled times not yet written
  struct Unacked {
    uint64_t seq;
    absl::Time scheduled;
    absl::Time sent;  // when its write started
  };
  std::deque<Unacked> unacked_;
  uint64_t next_seq_ = 1;
  uint64_t acked_measured_ = 0;
  std::vector<float> latencies_ms_;
  std::vector<float> send_delays_ms_;
  std::vector<float> latencies_from_send_ms_;
};

}  // namespace guts::bench
