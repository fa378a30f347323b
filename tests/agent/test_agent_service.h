// A minimal collector for the agent's tests: a real gRPC AgentService server that stores
// snapshots the way the collector promises (once per seq, in order), acks cumulatively, and
// records everything it receives. Its store outlives Stop()/Start(), like a collector's
// RocksDB across a restart.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace guts::agent::testing {

struct CollectorStore {
  std::mutex mu;
  std::vector<::guts::diag::v1::Snapshot> stored;  // seq 1, 2, 3, ... when nothing was lost
  std::vector<uint64_t> received;                  // every seq as it arrived, replays included
  uint64_t last_stored = 0;
  // A snapshot arrived with a seq beyond last_stored + 1 (something was skipped).
  std::vector<uint64_t> gaps;
  // A replayed seq whose content differs from what was stored under it (seq reused).
  std::vector<uint64_t> conflicting_replays;
  std::vector<::guts::diag::v1::Hello> hellos;
  std::vector<::guts::diag::v1::CommandStatus> statuses;
};

class TestAgentService {
 public:
  TestAgentService();
  ~TestAgentService();

  // Serves on ip:port (0 = pick one, then reused by later Starts). Returns the port.
  int Start(const std::string& ip, int port = 0);
  // Drops every stream at once, as a crashed collector would.
  void Stop();

  // Sends a command down the current stream; false when no agent is connected.
  bool SendCommand(const ::guts::diag::v1::Command& command);

  CollectorStore& store() { return *store_; }

 private:
  class Service;
  std::shared_ptr<CollectorStore> store_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout);

// The highest seq stored so far, and the taken_unix_ms of the newest stored snapshot (0 when
// none), read under the store's lock.
uint64_t LastStored(CollectorStore& store);
int64_t NewestTakenMs(CollectorStore& store);

}  // namespace guts::agent::testing
