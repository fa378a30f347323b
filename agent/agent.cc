#include "agent/agent.h"

#include <pthread.h>

#include <algorithm>

#include "agent/fact_rules.h"
#include "common/aligned_time.h"
#include "common/tls.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace guts::agent {

Agent::Agent(const AgentConfig& config, std::unique_ptr<Spool> spool,
             std::vector<std::unique_ptr<Source>> sources)
    : config_(config), spool_(std::move(spool)), runner_(std::move(sources)) {}

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(const AgentConfig& config,
                                                     std::vector<std::unique_ptr<Source>> sources) {
  const std::vector<std::string> collectors = CollectorList(config);
  absl::StatusOr<std::unique_ptr<Spool>> spool =
      Spool::Open(config.state_dir + "/spool", config.spool_max_bytes, collectors);
  if (!spool.ok()) return spool.status();
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ClientCredentials(config.tls);
  if (!credentials.ok()) return credentials.status();

  std::unique_ptr<Agent> agent(new Agent(config, *std::move(spool), std::move(sources)));
  v1::Hello hello;
  hello.set_node_id(config.node_id);
  hello.set_agent_version(kVersion);
  for (const auto& [k, v] : config.labels) (*hello.mutable_labels())[k] = v;
  hello.set_p2p_addr(config.node_p2p_addr);
  hello.set_api_addr(config.node_api);
  hello.set_agent_start_unix_ms(absl::ToUnixMillis(absl::Now()));
  hello.set_interval_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(config.interval)));
  hello.set_role(config.role);
  // One stream per collector, each on its own spool cursor and threads.
  for (size_t i = 0; i < collectors.size(); ++i) {
    StreamClientOptions options{.collector = collectors[i],
                                .spool_cursor = i,
                                .credentials = *credentials,
                                .hello = hello,
                                .backoff_max = config.reconnect_max_delay};
    agent->streams_.push_back(
        std::make_unique<StreamClient>(std::move(options), agent->spool_.get(), &agent->metrics_));
    agent->collector_metrics_.push_back(agent->metrics_.ForCollector(collectors[i]));
  }
  agent->dropped_reported_.assign(collectors.size(), 0);
  return agent;
}

Agent::~Agent() { Stop(); }

std::vector<std::string> CollectorList(const AgentConfig& config) {
  if (!config.collectors.empty()) return config.collectors;
  return {config.collector};
}

void Agent::SetCommandHandler(std::shared_ptr<CommandHandler> handler) {
  for (auto& stream : streams_) stream->SetCommandHandler(handler);
}

bool Agent::connected() const {
  for (const auto& stream : streams_) {
    if (stream->connected()) return true;
  }
  return false;
}

void Agent::Start() {
  for (auto& stream : streams_) stream->Start();
  thread_ = std::thread([this] { Loop(); });
}

void Agent::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& stream : streams_) stream->Stop();
}

void Agent::Loop() {
  pthread_setname_np(pthread_self(), "snapshot");
  absl::Time next = absl::Now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_until(lock, absl::ToChronoTime(next), [&] { return stopping_; })) return;
    }
    if (absl::StatusOr<uint64_t> seq = TakeSnapshot(); !seq.ok()) {
      spdlog::error("snapshot not spooled: {}", std::string(seq.status().message()));
    }
    // The first snapshot at once, then on the whole multiples of the interval on the Unix
    // clock, where the collector's tick expects them (common/aligned_time.h). After a long
    // stall (suspend, overload) the next point of the grid, not a burst of catch-up snapshots.
    // (`next` in the max: a wait that ends a hair early does not take the same point twice.)
    next = NextAlignedTime(std::max(absl::Now(), next), config_.interval, absl::ZeroDuration());
  }
}

absl::StatusOr<uint64_t> Agent::TakeSnapshot() {
  absl::Time start = absl::Now();
  v1::Snapshot snapshot;
  std::vector<SourceRun> runs = runner_.RunAll(start + config_.interval * 0.8, snapshot);
  for (const SourceRun& run : runs) metrics_.SourceRan(run.name, run.duration, run.ok);

  CombineFacts(snapshot);

  snapshot.set_node_id(config_.node_id);
  snapshot.set_taken_unix_ms(absl::ToUnixMillis(start));
  snapshot.set_interval_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(config_.interval)));
  // Drops made while spooling the previous snapshot are reported in this one.
  uint64_t dropped = spool_->TakeDropped();
  snapshot.set_spool_dropped(dropped);
  metrics_.spool_dropped().Increment(static_cast<double>(dropped));
  uint64_t seq = spool_->NextSeq();
  snapshot.set_seq(seq);
  std::string bytes = snapshot.SerializeAsString();
  {
    std::lock_guard<std::mutex> lock(recent_mu_);
    recent_.push_back(bytes);
    if (recent_.size() > kRecentSnapshots) recent_.pop_front();
  }
  absl::Status appended = spool_->Append(seq, bytes);
  metrics_.spool_depth().Set(static_cast<double>(spool_->depth()));
  metrics_.spool_bytes().Set(static_cast<double>(spool_->bytes()));
  for (size_t i = 0; i < streams_.size(); ++i) {
    uint64_t total = spool_->dropped_for(i);
    collector_metrics_[i].spool_dropped->Increment(
        static_cast<double>(total - dropped_reported_[i]));
    dropped_reported_[i] = total;
  }
  if (!appended.ok()) return appended;
  metrics_.snapshots_taken().Increment();
  for (auto& stream : streams_) stream->Notify();
  return seq;
}

std::vector<std::string> Agent::RecentSnapshots() const {
  std::lock_guard<std::mutex> lock(recent_mu_);
  return {recent_.begin(), recent_.end()};
}

}  // namespace guts::agent
