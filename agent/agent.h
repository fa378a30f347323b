// The agent: every interval it runs the sources (SourceRunner), numbers the snapshot from the
// spool's durable seq, spools it and wakes the stream clients (one per collector in its list). A
// snapshot is taken every interval whatever the sources or the collector do; the sources get 80 %
// of the interval.
//
// Example:
//   absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(config, std::move(sources));
//   (*agent)->Start();   // snapshot thread + stream
//   ...
//   (*agent)->Stop();
//
// Thread-safe: Start/Stop from one thread; metrics() and TakeSnapshot from any.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/agent_metrics.h"
#include "agent/command_handler.h"
#include "agent/config.h"
#include "agent/source.h"
#include "agent/source_runner.h"
#include "agent/spool.h"
#include "agent/stream_client.h"

namespace guts::agent {

// The collectors the agent streams to, in order: config.collectors, or {config.collector}.
std::vector<std::string> CollectorList(const AgentConfig& config);

class Agent {
 public:
  // Opens the spool under config.state_dir and prepares the stream. Errors: the spool's
  // (naming the path) or the TLS files'.
  static absl::StatusOr<std::unique_ptr<Agent>> Create(
      const AgentConfig& config, std::vector<std::unique_ptr<Source>> sources);
  ~Agent();

  // REQUIRES: before Start().
  void SetCommandHandler(std::shared_ptr<CommandHandler> handler);

  void Start();
  void Stop();

  // Builds, spools and announces one snapshot now; returns its seq. Used by the snapshot
  // thread, and by tests to step time themselves.
  absl::StatusOr<uint64_t> TakeSnapshot();

  // The last snapshots taken (at most kRecentSnapshots), serialized, oldest first: what a
  // diagnostic bundle shows as "the last snapshots the agent sent", acked or not.
  static constexpr size_t kRecentSnapshots = 30;
  std::vector<std::string> RecentSnapshots() const;

  AgentMetrics& metrics() { return metrics_; }
  Spool& spool() { return *spool_; }
  // True while the stream to at least one collector is up.
  bool connected() const;

 private:
  Agent(const AgentConfig& config, std::unique_ptr<Spool> spool,
        std::vector<std::unique_ptr<Source>> sources);
  void Loop();

  AgentConfig config_;
  AgentMetrics metrics_;
  std::unique_ptr<Spool> spool_;
  SourceRunner runner_;
  std::vector<std::unique_ptr<StreamClient>> streams_;  // one per collector, in list order
  std::vector<AgentMetrics::Collector> collector_metrics_;
  std::vector<uint64_t> dropped_reported_;  // per collector; touched by the snapshot thread
  std::thread thread_;
  mutable std::mutex recent_mu_;
  std::deque<std::string> recent_;  // guarded by recent_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace guts::agent
