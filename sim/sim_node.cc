#include "sim/sim_node.h"

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "sim/node_api.h"

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
  return Launch();
}

absl::Status SimNode::Launch() {
  absl::Status s = log_.Open(id_.log_path);
  if (!s.ok()) return s;
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
  links_ =
      std::make_unique<PeerLinks>(io_, id_.index, [this](const WireMessage& m) { Receive(m); });
  s = links_->Listen(id_.ip, options_.p2p_port);
  if (!s.ok()) {
    log_.Write("ERROR", "guts_node", "Failed to start Simplex BFT consensus",
               {{"error", std::string(s.message())}}, "crates/guts-node/src/main.rs", 203);
    api_->Close();
    return s;
  }
  links_->Dial(peers_, options_.Scaled(absl::Seconds(1)));
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
  if (!running_ || paused_ || !links_) return;
  uint32_t hop = overlay_->NextHop(id_.index, to);
  if (!link_open_(id_.index, hop)) return;
  if (hop == to) return links_->Send(to, m);
  WireMessage relayed = m;
  relayed.to = to;
  links_->Send(hop, relayed);
}

void SimNode::Receive(const WireMessage& m) {
  if (!running_ || paused_) return;
  if (m.to != kToReceiver && m.to != id_.index) {
    if (m.to < validators_->size()) Send(m.to, m);
    return;
  }
  replica_.OnMessage(m, absl::Now());
}

void SimNode::OnFinalized(const BlockHeader& b) {
  last_block_at_ = absl::Now();
  log_.Write("INFO", "guts_node::consensus", "finalized block",
             {{"height", b.height}, {"block_id", HexId(b.id)}, {"view", b.view}},
             "crates/guts-node/src/consensus.rs", 312);
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
