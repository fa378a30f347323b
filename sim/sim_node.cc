#include "sim/sim_node.h"

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "sim/node_api.h"
#include "sim/node_config_file.h"
#include "sim/node_key.h"

namespace guts::sim {
namespace {

// How long a (re)started node takes before it reports ready, at time scale 1.
constexpr absl::Duration kStartupTime = absl::Milliseconds(500);

ConsensusTiming TimingOf(const SimOptions& o) {
  ConsensusTiming t;
  t.block_time = o.Scaled(o.block_time);
  t.leader_timeout = o.Scaled(absl::Seconds(1));
  t.notarization_timeout = o.Scaled(absl::Seconds(2));
  t.nullify_retry = o.Scaled(absl::Seconds(10));
  t.heartbeat = o.Scaled(o.heartbeat);
  return t;
}

}  // namespace

SimNode::SimNode(asio::io_context& io, const SimOptions& options, const ValidatorSet* validators,
                 const Overlay* overlay, NodeIdentity identity, LinkOpen link_open)
    : io_(io),
      options_(options),
      validators_(validators),
      overlay_(overlay),
      id_(std::move(identity)),
      link_open_(std::move(link_open)),
      replica_(validators, id_.index, TimingOf(options),
               Replica::Effects{
                   .send = [this](uint32_t to, const WireMessage& m) { Send(to, m); },
                   .finalized = [this](const BlockHeader& b) { OnFinalized(b); },
                   .conflict = [this](uint64_t h, const BlockHeader& b) { OnConflict(h, b); },
                   .proposed = [this](uint64_t v, const BlockHeader& b,
                                      bool ok) { OnProposed(v, b, ok); },
               }) {
  replica_.set_nullify_to_next_leaders(!overlay_->full_mesh());
}

absl::Status SimNode::Start(const std::map<uint32_t, asio::ip::tcp::endpoint>& peers,
                            std::vector<std::string> validator_addrs) {
  peers_ = peers;
  validator_addrs_ = std::move(validator_addrs);
  std::error_code ec;
  std::filesystem::create_directories(id_.data_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create ", id_.data_dir, ": ", ec.message()));
  }
  absl::Status s = WriteConfig();
  if (!s.ok()) return s;
  return Launch();
}

absl::Status SimNode::WriteConfig() const {
  NodeConfigSpec spec;
  spec.api_addr = absl::StrCat(id_.ip, ":", options_.api_port);
  spec.p2p_addr = absl::StrCat(id_.ip, ":", options_.p2p_port);
  spec.private_key = NodeKeyOf(id_.index).private_hex;
  for (uint32_t i = 0; i < validator_addrs_.size(); ++i) {
    if (i == id_.index || refused_.count(i) > 0) continue;
    // A sparse topology written down: in simulation mode (validators from the API) a node of
    // the light overlay allows only the peers it links with. In Simplex mode allowed_peers are
    // the participants, the validator set itself, so every one is listed.
    if (options_.mode != ApiMode::kSimplex && !overlay_->Linked(id_.index, i)) continue;
    std::string key = ValidatorSet::PublicKeyHex(i);
    spec.allowed_peers.push_back(key);
    spec.bootstrappers.push_back(absl::StrCat(key, "@", validator_addrs_[i]));
  }
  spec.use_simplex_bft = options_.mode == ApiMode::kSimplex;
  spec.block_time_ms = absl::ToInt64Milliseconds(options_.block_time);
  spec.data_dir = id_.data_dir;
  spec.log_format = options_.log_format == LogFormat::kPretty ? "pretty" : "json";
  return WriteNodeConfigFile(id_.config_path, spec);
}

void SimNode::LogSimplexStartup(const std::string& p2p_addr) {
  const std::string key = ValidatorSet::PublicKeyHex(id_.index);
  const size_t participants = validator_addrs_.size() - refused_.size();
  const char* node_file = "crates/guts-node/src/consensus_simplex.rs";
  log_.Write("INFO", "guts_node::consensus_simplex", "Starting Simplex BFT consensus",
             {{"public_key", key}, {"p2p_addr", p2p_addr}}, node_file, 84, {"p2p_addr"});
  log_.Write("INFO", "guts_node::consensus_simplex", "Parsed validator set",
             {{"participant_count", participants}}, node_file, 102);
  log_.Write("INFO", "guts_node::consensus_simplex", "Consensus engine starting",
             {{"public_key", key}}, node_file, 175);
  log_.Write("INFO", "guts_node::p2p", "P2P network started",
             {{"public_key", key},
              {"listen_addr", p2p_addr},
              {"external_addr", p2p_addr},
              {"bootstrappers", participants - 1}},
             "crates/guts-node/src/p2p.rs", 286, {"public_key", "listen_addr", "external_addr"});
  log_.Write("INFO", "guts_node::consensus_simplex", "P2P network initialized",
             {{"public_key", key}}, node_file, 193);
  log_.Write("INFO", "guts_consensus::simplex::engine", "created Simplex BFT consensus engine",
             {{"participants", participants}}, "crates/guts-consensus/src/simplex/engine.rs", 318);
  log_.Write("INFO", "guts_node::consensus_simplex", "Simplex BFT engine created, starting...", {},
             node_file, 209);
  log_.Write("INFO", "guts_node::consensus_simplex", "Simplex BFT consensus running", {}, node_file,
             220);
  log_.Write("INFO", "guts_node", "Simplex BFT consensus started", {{"public_key", key}},
             "crates/guts-node/src/main.rs", 185);
}

absl::Status SimNode::Launch() {
  absl::Status s = log_.Open(id_.log_path);
  if (!s.ok()) return s;
  log_.set_format(options_.log_format);
  engine_failed_ = false;
  if (config_fallback_) {
    log_.Plain(
        "Warning: Failed to load config file config.yaml: No such file or directory (os error "
        "2). Using defaults.");
  }
  log_.Write("INFO", "guts_node", "Starting Guts node", {{"version", kNodeVersion}},
             "crates/guts-node/src/main.rs", 62);
  // A node on defaults binds the default API address, loopback only: agents and operators
  // that reach it on the host's own address find nothing.
  std::string api_ip = config_fallback_ ? "127.0.0.1" : id_.ip;
  std::string api_addr = absl::StrCat(api_ip, ":", options_.api_port);
  std::string p2p_addr = absl::StrCat(id_.ip, ":", options_.p2p_port);
  metrics_.Reset();
  api_ = std::make_unique<HttpListener>(
      io_, [this](const HttpRequest& r) { return Serve(r); },
      [this](int delta) { delta > 0 ? metrics_.ConnectionOpened() : metrics_.ConnectionClosed(); });
  s = api_->Listen(api_ip, options_.api_port);
  if (!s.ok()) {
    log_.Write("ERROR", "guts_node", "Failed to bind to address",
               {{"addr", api_addr}, {"error", std::string(s.message())}},
               "crates/guts-node/src/main.rs", 171);
    return s;
  }
  log_.Write("INFO", "guts_node", "Node configuration",
             {{"api_addr", api_addr},
              {"p2p_addr", p2p_addr},
              {"data_dir", id_.data_dir},
              {"log_level", "info"},
              {"consensus", options_.mode == ApiMode::kSimplex ? "simplex" : "simulation"},
              {"config_loaded", !config_fallback_}},
             "crates/guts-node/src/main.rs", 88);
  // A Simplex node on defaults runs no consensus at all (consensus.enabled defaults to false),
  // and its P2P network lives inside the consensus runtime: no sessions, no Simplex lines.
  if (options_.mode == ApiMode::kSimplex && config_fallback_) {
    links_.reset();
  } else {
    links_ =
        std::make_unique<PeerLinks>(io_, id_.index, [this](const WireMessage& m) { Receive(m); });
    s = links_->Listen(id_.ip, options_.p2p_port);
    if (!s.ok()) {
      log_.Write("ERROR", "guts_node", "Failed to start Simplex BFT consensus",
                 {{"error", std::string(s.message())}}, "crates/guts-node/src/main.rs", 203);
      api_->Close();
      return s;
    }
    for (const auto& [peer, ip] : refused_ips_) links_->Refuse(peer, ip, true);
    links_->Dial(peers_, options_.Scaled(absl::Seconds(1)));
    if (options_.mode == ApiMode::kSimplex) LogSimplexStartup(p2p_addr);
  }
  absl::Time now = absl::Now();
  running_ = true;
  paused_ = false;
  started_ = false;
  launched_at_ = now;
  last_block_at_ = now;
  // Spread the heartbeats of many nodes over the interval instead of sending them in bursts.
  static std::minstd_rand jitter(7);
  next_heartbeat_ = now + options_.Scaled(options_.heartbeat) * (jitter() % 1000) / 1000.0;
  replica_.Start(now);
  return absl::OkStatus();
}

void SimNode::Tick(absl::Time now) {
  if (!running_ || paused_) return;
  if (!started_ && now - launched_at_ >= options_.Scaled(kStartupTime)) {
    started_ = true;
    log_.Write("INFO", "guts_node", "Node startup complete, ready to accept connections", {},
               "crates/guts-node/src/main.rs", 241);
  }
  // No consensus thread (dead, or never started on defaults): no heartbeats, no timers.
  if (engine_failed_ || !links_) return;
  if (now >= next_heartbeat_) {
    absl::Duration period = options_.Scaled(options_.heartbeat);
    next_heartbeat_ += period;
    if (next_heartbeat_ < now) next_heartbeat_ = now + period;
    WireMessage hb = replica_.Heartbeat();
    for (const auto& [peer, endpoint] : peers_) Send(peer, hb);
  }
  replica_.OnTick(now);
}

void SimNode::Send(uint32_t to, const WireMessage& m) {
  if (!running_ || paused_ || engine_failed_ || !links_) return;
  if (refused_.count(to) > 0) return;
  uint32_t hop = overlay_->NextHop(id_.index, to);
  if (!link_open_(id_.index, hop)) return;
  if (hop == to) return links_->Send(to, m);
  WireMessage relayed = m;
  relayed.to = to;
  links_->Send(hop, relayed);
}

void SimNode::Receive(const WireMessage& m) {
  if (!running_ || paused_ || engine_failed_) return;
  if (refused_.count(m.from) > 0) return;
  if (m.to != kToReceiver && m.to != id_.index) {
    if (m.to < validators_->size()) Send(m.to, m);
    return;
  }
  replica_.OnMessage(m, absl::Now());
}

void SimNode::OnFinalized(const BlockHeader& b) {
  last_block_at_ = absl::Now();
  if (options_.mode == ApiMode::kSimplex) {
    // `digest = ?block.digest()`: a Debug value, the block's id.
    log_.Write("INFO", "guts_consensus::simplex::application", "processed finalized block",
               {{"height", b.height}, {"digest", HexId(b.id)}},
               "crates/guts-consensus/src/simplex/application.rs", 329, {"digest"});
    return;
  }
  log_.Write("INFO", "guts_node::consensus", "finalized block",
             {{"height", b.height}, {"block_id", HexId(b.id)}, {"view", b.view}},
             "crates/guts-node/src/consensus.rs", 312);
}

void SimNode::OnProposed(uint64_t view, const BlockHeader& b, bool success) {
  if (options_.mode != ApiMode::kSimplex) return;
  // `info!(?round, ?digest, success, "proposed new block")`, by the view's leader only.
  log_.Write("INFO", "guts_consensus::simplex::application", "proposed new block",
             {{"round", absl::StrCat("Round { epoch: 0, view: ", view, " }")},
              {"digest", HexId(b.id)},
              {"success", success}},
             "crates/guts-consensus/src/simplex/application.rs", 255, {"round", "digest"});
}

void SimNode::FailEngine() {
  if (!running_ || engine_failed_) return;
  engine_failed_ = true;
  // The P2P network runs inside the consensus runtime: its listener and sessions go with it.
  if (links_) links_->Close();
  log_.Write("ERROR", "guts_node::consensus_simplex", "Consensus engine task failed",
             {{"e", "Closed"}}, "crates/guts-node/src/consensus_simplex.rs", 224, {"e"});
}

absl::Status SimNode::RefusePeer(uint32_t peer, const std::string& ip, bool refused) {
  if (peer == id_.index) return absl::OkStatus();
  if (refused) {
    refused_.insert(peer);
    refused_ips_[peer] = ip;
  } else {
    refused_.erase(peer);
    refused_ips_.erase(peer);
  }
  if (links_ && running_ && !engine_failed_) links_->Refuse(peer, ip, refused);
  return WriteConfig();
}

void SimNode::OnConflict(uint64_t height, const BlockHeader& theirs) {
  log_.Write("WARN", "guts_node::consensus", "conflicting block received from peer",
             {{"height", height}, {"block_id", HexId(theirs.id)}},
             "crates/guts-node/src/consensus.rs", 287);
}

HttpReply SimNode::Serve(const HttpRequest& request) {
  absl::Time start = absl::Now();
  NodeFacts facts;
  facts.mode = options_.mode;
  facts.started = started_;
  facts.uptime = start - launched_at_;
  facts.replica = &replica_;
  facts.validators = validators_;
  facts.since_last_block = start - last_block_at_;
  facts.metrics = &metrics_;
  facts.p2p_addrs = validator_addrs_;
  HttpReply reply = RouteNodeApi(request, facts);
  metrics_.RecordRequest(request.method, request.path, reply.status, absl::Now() - start);
  return reply;
}

void SimNode::Kill() {
  if (!running_) return;
  running_ = false;
  paused_ = false;
  if (api_) api_->Close();
  if (links_) links_->Close();
  log_.Close();
}

absl::Status SimNode::Restart(bool config_fallback) {
  Kill();
  config_fallback_ = config_fallback;
  return Launch();
}

void SimNode::Pause() {
  if (!running_ || paused_) return;
  paused_ = true;
  if (api_) api_->Freeze();
}

void SimNode::Resume() {
  if (!running_ || !paused_) return;
  paused_ = false;
  if (api_) api_->Unfreeze();
}

void SimNode::Stop() {
  if (!running_) return;
  log_.Write("INFO", "guts_node", "Guts node stopped", {}, "crates/guts-node/src/main.rs", 262);
  Kill();
}

}  // namespace guts::sim
