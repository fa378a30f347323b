#include "sim/network.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "sim/disk_fill.h"

namespace guts::sim {
namespace {

std::vector<uint64_t> WeightsOf(const SimOptions& o) {
  if (!o.weights.empty()) return o.weights;
  return std::vector<uint64_t>(static_cast<size_t>(std::max(o.nodes, 1)), 100);
}

}  // namespace

Network::Network(asio::io_context& io, SimOptions options)
    : io_(io),
      options_(std::move(options)),
      validators_(WeightsOf(options_), options_.mode == ApiMode::kSimplex
                                           ? QuorumRule::kSimplexParticipants
                                           : QuorumRule::kTwoThirdsOfWeight),
      overlay_(options_.nodes, options_.peers_per_node),
      tick_(io) {}

Network::~Network() { Stop(); }

std::string Network::PeerIp(int i) const { return IpOf(i); }

std::string Network::IpOf(int i) const {
  asio::ip::address_v4 base = asio::ip::make_address_v4(options_.base_ip);
  return asio::ip::address_v4(base.to_uint() + static_cast<uint32_t>(i) + 1).to_string();
}

absl::Status Network::Start() {
  const int n = options_.nodes;
  if (n < 1) return absl::InvalidArgumentError("--nodes must be at least 1");
  if (!options_.weights.empty() && static_cast<int>(options_.weights.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("--weights lists ", options_.weights.size(), " weights for ", n, " nodes"));
  }
  for (uint64_t w : validators_.size() ? WeightsOf(options_) : std::vector<uint64_t>{}) {
    if (w == 0) return absl::InvalidArgumentError("--weights must all be positive");
  }
  std::error_code ec;
  asio::ip::make_address_v4(options_.base_ip, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad --base-ip ", options_.base_ip));
  if (asio::ip::make_address_v4(IpOf(n - 1)).to_bytes()[0] != 127) {
    return absl::InvalidArgumentError("--base-ip + nodes must stay inside 127.0.0.0/8");
  }
  if (options_.netfilter && options_.shard == 0) {
    absl::StatusOr<NftLinkCuts> nft = NftLinkCuts::Open(options_.p2p_port);
    if (!nft.ok()) return nft.status();
    nft_ = std::make_unique<NftLinkCuts>(*nft);
  }
  cut_.assign(static_cast<size_t>(n) * n, false);
  committed_cut_ = cut_;

  std::vector<std::string> addrs;
  for (int i = 0; i < n; ++i) addrs.push_back(absl::StrCat(IpOf(i), ":", options_.p2p_port));
  nodes_.resize(n);
  for (int i = options_.FirstLocal(); i < options_.EndLocal(); ++i) {
    NodeIdentity id;
    id.index = static_cast<uint32_t>(i);
    id.name = ValidatorSet::Name(i);
    id.ip = IpOf(i);
    id.dir = absl::StrCat(options_.state_dir, "/", id.name);
    id.log_path = absl::StrCat(id.dir, "/node.log");
    id.data_dir = absl::StrCat(id.dir, "/data");
    id.config_path = absl::StrCat(id.dir, "/config.yaml");
    nodes_[i] = (std::make_unique<SimNode>(
        io_, options_, &validators_, &overlay_, id,
        [this](uint32_t from, uint32_t to) { return !cut_[from * size() + to]; }));
  }
  for (int i = options_.FirstLocal(); i < options_.EndLocal(); ++i) {
    std::map<uint32_t, asio::ip::tcp::endpoint> peers;
    for (uint32_t j : overlay_.Peers(static_cast<uint32_t>(i))) {
      peers[j] = asio::ip::tcp::endpoint(asio::ip::make_address(IpOf(static_cast<int>(j))),
                                         static_cast<uint16_t>(options_.p2p_port));
    }
    SimNode& node = *nodes_[i];
    if (!options_.data_dir_size.empty()) {
      std::filesystem::create_directories(node.identity().data_dir, ec);
      absl::Status s = MountDataDir(node.identity().data_dir, options_.data_dir_size);
      if (!s.ok()) return s;
      mounted_.push_back(node.identity().data_dir);
    }
    absl::Status s = node.Start(peers, addrs);
    if (!s.ok())
      return absl::Status(s.code(), absl::StrCat(node.identity().name, ": ", s.message()));
  }
  Tick();
  return absl::OkStatus();
}

void Network::Tick() {
  if (stopped_) return;
  absl::Time now = absl::Now();
  for (auto& node : nodes_) {
    if (node) node->Tick(now);
  }
  // Fine enough for timeouts of a second scaled down ten times, cheap for 1000 nodes.
  absl::Duration period = std::clamp(options_.Scaled(absl::Milliseconds(50)), absl::Milliseconds(5),
                                     absl::Milliseconds(50));
  tick_.expires_after(absl::ToChronoNanoseconds(period));
  tick_.async_wait([this](std::error_code ec) {
    if (!ec) Tick();
  });
}

void Network::Stop() {
  if (stopped_) return;
  stopped_ = true;
  tick_.cancel();
  for (auto& node : nodes_) {
    if (node) node->Stop();
  }
  if (nft_) nft_->Clear().IgnoreError();
  for (const std::string& dir : mounted_) UnmountDataDir(dir);
  mounted_.clear();
}

void Network::SetCut(int from, int to, bool cut) {
  if (from != to) cut_[from * size() + to] = cut;
}

void Network::ClearCuts() { std::fill(cut_.begin(), cut_.end(), false); }

absl::Status Network::CommitLinks() {
  const int n = size();
  std::vector<std::pair<int, int>> reopened;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (committed_cut_[a * n + b] && !cut_[a * n + b]) reopened.push_back({a, b});
    }
  }
  committed_cut_ = cut_;
  if (!nft_) return absl::OkStatus();
  std::vector<std::pair<std::string, std::string>> cuts;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (cut_[a * n + b]) cuts.push_back({IpOf(a), IpOf(b)});
    }
  }
  absl::Status s = nft_->Apply(cuts);
  // After a long cut, TCP's retransmission backoff would delay the first delivery by up to
  // minutes; the node's P2P stack gives up on such a session and redials at once.
  for (auto [a, b] : reopened) {
    if (local(a) && nodes_[a]->links() != nullptr)
      nodes_[a]->links()->Redial(static_cast<uint32_t>(b));
  }
  return s;
}

void Network::RecordFork(int i, uint64_t height) { forks_.push_back({i, height}); }

void Network::HealForks() {
  for (const auto& [i, height] : forks_) nodes_[i]->replica().RollbackTo(height - 1);
  forks_.clear();
}

nlohmann::json Network::ReadyJson(const std::string& control_addr) const {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : nodes_) {
    if (!node) continue;
    const NodeIdentity& id = node->identity();
    nodes.push_back({{"name", id.name},
                     {"api", absl::StrCat(id.ip, ":", node->api_port())},
                     {"p2p", absl::StrCat(id.ip, ":", node->p2p_port())},
                     {"log", id.log_path},
                     {"data_dir", id.data_dir},
                     {"config", id.config_path},
                     {"public_key", ValidatorSet::PublicKeyHex(id.index)}});
  }
  return {{"control", control_addr}, {"nodes", nodes}};
}

nlohmann::json Network::StatusJson() {
  auto RefusedNames = [](const SimNode& node) {
    nlohmann::json names = nlohmann::json::array();
    for (uint32_t peer : node.refused_peers()) names.push_back(ValidatorSet::Name(peer));
    return names;
  };
  nlohmann::json nodes = nlohmann::json::array();
  for (auto& node : nodes_) {
    if (!node) continue;
    Replica& r = node->replica();
    nodes.push_back({{"name", node->identity().name},
                     {"running", node->running()},
                     {"paused", node->paused()},
                     {"view", r.view()},
                     {"height", r.height()},
                     {"tip", HexId(r.tip().id)},
                     {"leader", ValidatorSet::Name(r.leader())},
                     {"speed", r.speed()},
                     {"config_fallback", node->config_fallback()},
                     {"engine_failed", node->engine_failed()},
                     {"refused_peers", RefusedNames(*node)},
                     {"outbound_established", node->links() ? node->links()->established() : 0}});
  }
  nlohmann::json cuts = nlohmann::json::array();
  for (int a = 0; a < size(); ++a) {
    for (int b = 0; b < size(); ++b) {
      if (Cut(a, b))
        cuts.push_back(absl::StrCat(ValidatorSet::Name(a), "->", ValidatorSet::Name(b)));
    }
  }
  return {{"nodes", nodes},
          {"cut_links", cuts},
          {"mode", options_.mode == ApiMode::kSimplex ? "simplex" : "simulation"},
          {"quorum_weight", validators_.quorum_weight()},
          {"total_weight", validators_.total_weight()},
          {"netfilter", nft_ != nullptr}};
}

}  // namespace guts::sim
