#include "agent/agent.h"

#include <pthread.h>

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
    // Fixed-rate schedule; after a long stall (suspend, overload) start again from now rather
    // than firing a burst of catch-up snapshots.
    next += config_.interval;
    if (absl::Now() > next + config_.interval) next = absl::Now();
  }
}

void FillConsensusFromLogAndConfig(v1::Snapshot& snapshot) {
  v1::ConsensusView& consensus = *snapshot.mutable_consensus();
  const v1::LogFacts& log = snapshot.log();
  // Simplex mode: the API reports no height, the log is then the only source.
  if (!consensus.api_enabled() && snapshot.has_log() && log.finalized_height() > 0) {
    consensus.set_finalized_height(log.finalized_height());
    consensus.set_height_source(v1::HEIGHT_SOURCE_LOG);
    consensus.set_last_finalized_age_ms(log.finalized_age_ms());
    consensus.set_last_block_id(log.finalized_block_id());
    consensus.set_observed(true);
  }
  // The mode as observed: an answering consensus API is simulation mode; an API that says
  // disabled while the log or the config shows Simplex is Simplex. Otherwise unspecified.
  bool config_simplex = snapshot.config().loaded() && snapshot.config().consensus_enabled() &&
                        snapshot.config().use_simplex_bft();
  bool log_simplex = log.simplex_started() || log.proposed_view() > 0 ||
                     log.proposals_failed() > 0 || !log.public_key().empty();
  if (consensus.api_enabled()) {
    consensus.set_mode(v1::CONSENSUS_MODE_SIMULATION);
  } else if (config_simplex || log_simplex ||
             (consensus.observed() && consensus.height_source() == v1::HEIGHT_SOURCE_LOG)) {
    consensus.set_mode(v1::CONSENSUS_MODE_SIMPLEX);
  }
  consensus.set_proposed_view(log.proposed_view());
  consensus.set_proposed_age_ms(log.proposed_age_ms());
  consensus.set_engine_failed(log.engine_failed());
  // Simplex exposes no view; the highest proposed round this node led is the best there is.
  if (!consensus.api_enabled() && consensus.view() == 0 && log.proposed_view() > 0) {
    consensus.set_view(log.proposed_view());
  }
  // The key the node announces in its log is its real one. The real node seeds its key from
  // the first 8 bytes of p2p.private_key (PrivateKey::from_seed(u64)), not from the 32-byte
  // ed25519 seed the config parser derives from, so where the two differ the log wins.
  if (snapshot.has_config() && !log.public_key().empty() &&
      log.public_key() != snapshot.config().public_key()) {
    v1::NodeConfig& config = *snapshot.mutable_config();
    v1::Participant* self = nullptr;
    for (v1::Participant& p : *config.mutable_participants()) {
      if (p.self() || p.public_key() == log.public_key()) self = &p;
    }
    if (self == nullptr && config.loaded()) {
      self = config.add_participants();
      self->set_addr(!config.p2p_listen_addr().empty() ? config.p2p_listen_addr()
                                                       : log.p2p_listen_addr());
    }
    if (self != nullptr) {
      self->set_public_key(log.public_key());
      self->set_self(true);
    }
    config.set_public_key(log.public_key());
  }
}

absl::StatusOr<uint64_t> Agent::TakeSnapshot() {
  absl::Time start = absl::Now();
  v1::Snapshot snapshot;
  std::vector<SourceRun> runs = runner_.RunAll(start + config_.interval * 0.8, snapshot);
  for (const SourceRun& run : runs) metrics_.SourceRan(run.name, run.duration, run.ok);

  FillConsensusFromLogAndConfig(snapshot);

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
