// SimAgent: one simulated agent on gRPC's callback client API — one long-lived Connect stream,
// no thread of its own, written as raw bytes through a generic stub (the bytes are exactly
// what the typed stub serialized: see EncodedSnapshot). The pacer calls Due() when the agent's next
// snapshot is scheduled (open loop: the schedule does not wait for acks); the agent writes it as
// soon as the stream takes it and records, per cumulative ack, the latency from the scheduled time
// of every snapshot it covers. It also records how late each write started (the generator's own
// delay: a pacer thread starts its channel's share of an aligned round's writes one after another),
// so that a report can tell the collector's part of a latency from the generator's.
//
// Example:
//   grpc::GenericStub stub(channel);
//   SimAgent agent(&stub, "v17", 17);
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
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace guts::bench {

// One made-up-front snapshot as its AgentMessage's wire bytes with the seq and taken time left
// out, so that a send encodes those two fields and copies the rest: the generator shares the
// two cores with the collector, and serializing the whole message (ByteSizeLong walks every
// peer) was about a tenth of its CPU. Protobuf writes a message's fields in field-number order
// (node_id 1, seq 2, taken_unix_ms 3, then the rest), so head + seq + time + tail, framed as
// AgentMessage.snapshot, is byte for byte what AgentMessage::SerializeAsString gives; the
// constructor checks that and aborts if not.
class EncodedSnapshot {
 public:
  // `snapshot` is left as it was.
  explicit EncodedSnapshot(guts::diag::v1::Snapshot& snapshot);
  // The AgentMessage carrying the snapshot with `seq` and `taken_unix_ms`, into `out`.
  void Encode(uint64_t seq, int64_t taken_unix_ms, grpc::ByteBuffer* out) const;

 private:
  std::string head_;  // node_id (field 1)
  std::string tail_;  // fields 4 and up
};

class SimAgent : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `variants` > 0: the agent makes that many realistic snapshots up front and sends them in
  // turn, each with its own seq and taken time, so that the generator's cost stays small next
  // to the collector's (the ceilings); 0: a fresh one per send (realistic bytes for the disk
  // figures, at several times the generator's CPU).
  // `fleet` > 0: the agents form one consistent network of that many nodes (each Hello
  // announces its own P2P address, the peers reported match; RealisticSnapshot); 0: every
  // agent announces 10.0.0.1:9000 and its peers match no other agent's.
  SimAgent(grpc::GenericStub* stub, const std::string& node_id, int index, int variants = 0,
           int fleet = 0);

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
  grpc::ByteBuffer out_;                   // the message being written
  std::vector<EncodedSnapshot> variants_;  // made up front (see the constructor)
  size_t next_variant_ = 0;
  grpc::ByteBuffer in_;
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
