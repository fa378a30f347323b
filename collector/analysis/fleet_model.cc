#include "collector/analysis/fleet_model.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "collector/analysis/liveness.h"
#include "collector/analysis/runbook_figures.h"
#include "collector/fleet/peer_address.h"
#include "collector/fleet/peers_heard.h"
#include "collector/fleet/snapshot_figures.h"
#include "common/host_port.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

int FleetModel::Find(std::string_view id) const {
  auto it = std::lower_bound(by_id.begin(), by_id.end(), id,
                             [&](int node, std::string_view x) { return *nodes[node].id < x; });
  return it != by_id.end() && *nodes[*it].id == id ? *it : -1;
}

bool FleetModel::Hears(int u, int v) const {
  const std::vector<int>& h = nodes[u].hears;
  return std::binary_search(h.begin(), h.end(), v);
}

std::optional<absl::Duration> FleetModel::ReceiveAge(int u, int v) const {
  const NodeFacts& f = nodes[u];
  auto at = std::lower_bound(f.sessions.begin(), f.sessions.end(), v);
  if (at == f.sessions.end() || *at != v) return std::nullopt;
  return absl::Milliseconds(f.session_age_ms[at - f.sessions.begin()]);
}

absl::Time FleetModel::LastReceived(int u, int v) const {
  return nodes[u].taken - ReceiveAge(u, v).value_or(absl::ZeroDuration());
}

namespace {

// Maps P2P addresses to node indices: exact "ip:port" for outbound sessions (the peer's listening
// port), ip alone for inbound ones (ephemeral remote port). An ip shared by several nodes is
// ambiguous (-2) and resolves only through the exact address. Canonical IPv4 addresses are kept
// by integer key (peer_address.h), everything else by text; a string and its key never meet,
// since equal strings are both canonical or both not.
class PeerIdentity {
 public:
  void Reserve(size_t nodes) {
    by_key_.reserve(nodes);
    by_ip_.reserve(nodes);
  }

  void Add(std::string_view addr, int node) {
    if (addr.empty()) return;
    if (std::optional<uint64_t> key = AddressKey(addr)) {
      by_key_.emplace(*key, node);
    } else {
      by_addr_.emplace(std::string(addr), node);
    }
    std::string_view host = HostOf(addr);
    if (std::optional<uint32_t> ip = HostKey(host)) {
      MarkHost(by_ip_, *ip, node);
    } else {
      MarkHost(by_host_, std::string(host), node);
    }
  }

  // The node listening on exactly `addr`, or -1.
  int Find(std::string_view addr) const {
    if (std::optional<uint64_t> key = AddressKey(addr)) return FindKey(*key);
    auto it = by_addr_.find(absl::string_view(addr.data(), addr.size()));
    return it == by_addr_.end() ? -1 : it->second;
  }

  int Resolve(const v1::PeerView& peer) const {
    const std::string& remote = peer.remote_addr();
    bool inbound = peer.direction() == v1::PEER_DIRECTION_INBOUND;
    if (std::optional<uint64_t> key = AddressKey(remote)) return ResolveKey(*key, inbound);
    if (!inbound) {
      auto it = by_addr_.find(remote);
      if (it != by_addr_.end()) return it->second;
    }
    std::string_view host = HostOf(remote);
    if (std::optional<uint32_t> ip = HostKey(host)) return FindHost(by_ip_, *ip);
    return FindHost(by_host_, absl::string_view(host.data(), host.size()));
  }

  // One lookup for most sessions: Add marks every exact address under its host too, so a host
  // held by one node answers for all its exact addresses, and a host nobody holds for none of
  // them. Only a shared host sends an outbound session on to its exact address.
  int ResolveKey(uint64_t key, bool inbound) const {
    auto it = by_ip_.find(KeyHost(key));
    if (it == by_ip_.end()) return -1;
    if (it->second >= 0) return it->second;
    return inbound ? -1 : FindKey(key);
  }

  int FindKey(uint64_t key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? -1 : it->second;
  }

 private:
  template <typename Map, typename Key>
  static void MarkHost(Map& map, Key&& host, int node) {
    auto [it, inserted] = map.emplace(std::forward<Key>(host), node);
    if (!inserted && it->second != node) it->second = -2;
  }
  template <typename Map, typename Key>
  static int FindHost(const Map& map, const Key& host) {
    auto it = map.find(host);
    return it == map.end() || it->second < 0 ? -1 : it->second;
  }

  absl::flat_hash_map<uint64_t, int> by_key_;
  absl::flat_hash_map<uint32_t, int> by_ip_;
  absl::flat_hash_map<std::string, int> by_addr_;
  absl::flat_hash_map<std::string, int> by_host_;
};

// The per-node parts of a view live in separate allocations; the tick is bound by fetching
// them, so it asks for those of a node a few places ahead while working on this one.
constexpr int kAhead = 8;

// What the first pass reads of an observation: its id, the pointer to its snapshot and the head
// of its figures (FiguresCurrent compares the figures' source with the snapshot pointer; the
// snapshot message itself is not read).
void PrefetchHead(const NodeObservation& obs) {
  __builtin_prefetch(&obs.node_id);
  __builtin_prefetch(&obs.latest);
  __builtin_prefetch(&obs.latest_peers);
  __builtin_prefetch(&obs.latest_figures);
}

void PrefetchLines(const void* at, size_t bytes) {
  const char* p = static_cast<const char*>(at);
  for (size_t k = 0; k < bytes; k += 64) __builtin_prefetch(p + k);
}

// The main pass follows three chains of pointers per node, each a cache miss a level: the
// observation's lines (PrefetchBody, with its samples tail), then the remembered resolution's
// lists (PrefetchLists) and, only when the tail is not current, the samples window's vector (in
// its shared_ptr's allocation), then the compact sessions and that window's last samples. Each
// stage reads only pointers the stage before brought in, so none of them stalls on a load: loading
// a pointer to prefetch behind it left Follow and Matches waiting on the window's vector and the
// session keys (a sixth of the model, when Matches still compared every key).
void PrefetchBody(const NodeObservation& obs) {
  __builtin_prefetch(&obs.latest_figures);
  __builtin_prefetch(reinterpret_cast<const char*>(&obs.latest_figures) + 64);
  __builtin_prefetch(&obs.latest_peers.sessions);
  __builtin_prefetch(&obs.last_received);
  __builtin_prefetch(&obs.samples);
  // The tail's size and samples: two more lines past `samples` (the window is not followed).
  __builtin_prefetch(&obs.samples_tail.size);
  __builtin_prefetch(&obs.samples_tail.last[1]);
}

// A recycled node's facts as a fresh NodeFacts, keeping only its lists' capacity, and the last
// model's `hears` at this index, which the build writes over in place (HearsWriter), and its
// `reachable`, which the build keeps when the node's probes resolved as they did then.
void Reset(NodeFacts& f) {
  std::vector<int> hears = std::move(f.hears);
  std::vector<int> sessions = std::move(f.sessions);
  std::vector<uint32_t> session_age_ms = std::move(f.session_age_ms);
  std::vector<int> reachable = std::move(f.reachable);
  f = NodeFacts{};
  sessions.clear();
  session_age_ms.clear();
  f.hears = std::move(hears);
  f.sessions = std::move(sessions);
  f.session_age_ms = std::move(session_age_ms);
  f.reachable = std::move(reachable);
}

// Writes a node's heard list over the one its facts held in the last model, in place, noting
// whether it differs: writing the list fetches its lines anyway, so the comparison costs
// nothing, and the peer graph and the link history skip the nodes whose list stayed.
class HearsWriter {
 public:
  explicit HearsWriter(std::vector<int>& list) : list_(list) {}
  void Add(int v) {
    if (k_ < list_.size()) {
      if (list_[k_] != v) {
        list_[k_] = v;
        changed_ = true;
      }
    } else {
      list_.push_back(v);
      changed_ = true;
    }
    ++k_;
  }
  // Drops what is left of the old list; whether the list changed.
  bool Finish() {
    if (k_ != list_.size()) {
      list_.resize(k_);
      changed_ = true;
    }
    return changed_;
  }

 private:
  std::vector<int>& list_;
  size_t k_ = 0;
  bool changed_ = false;
};

void SortUnique(std::vector<int>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

// The last tick's validator set and PeerIdentity with what they were built from: rebuilt only
// when a node's number, P2P address, role or identity facts, or the API's validator list
// changed.
struct ModelMemory::AddressBook {
  std::vector<uint32_t> numbers;  // node at each view index
  std::vector<std::string> p2p_addrs;
  // Whether each node's Hello gives it a validator's role (any but "observer"), by view index:
  // the validators when the agents are the only source (a role change rebuilds their weights).
  std::vector<char> validator_roles;
  // The FleetView::identity_generation of the last view the book was built from or checked
  // against (0: not known), and whether that view was in id order. A view of the same
  // generation has the same nodes, order and Hellos: its addresses and roles are not compared.
  uint64_t identity_generation = 0;
  bool in_id_order = false;
  std::vector<std::pair<std::string, std::string>> validators;  // the API list: name, addr
  bool has_validators = false;
  uint64_t signature = 0;
  bool built = false;
  // Counts the builds: a resolution made with another generation's identity is stale.
  uint64_t generation = 0;
  PeerIdentity identity;
  std::shared_ptr<const ValidatorSet> set;

  bool Matches(const FleetView& view, const std::vector<uint32_t>& now_numbers,
               const v1::ValidatorSet* api, uint64_t now_signature) const {
    if (!built || now_numbers != numbers || has_validators != (api != nullptr) ||
        now_signature != signature) {
      return false;
    }
    if (api != nullptr) {
      if (static_cast<size_t>(api->validators_size()) != validators.size()) return false;
      for (size_t k = 0; k < validators.size(); ++k) {
        const v1::Validator& val = api->validators(static_cast<int>(k));
        if (val.name() != validators[k].first || val.addr() != validators[k].second) return false;
      }
    }
    if (view.identity_generation != 0 && view.identity_generation == identity_generation) {
      return true;
    }
    for (size_t i = 0; i < p2p_addrs.size(); ++i) {
      const v1::Hello& hello = HelloOf(view.nodes[i]);
      if (hello.p2p_addr() != p2p_addrs[i]) return false;
      if ((hello.role() != "observer") != static_cast<bool>(validator_roles[i])) return false;
    }
    return true;
  }

  void Build(const FleetView& view, const std::vector<uint32_t>& now_numbers,
             const v1::ValidatorSet* api, uint64_t now_signature,
             const std::vector<const SnapshotFigures*>& figures,
             const std::vector<ValidatorEntry>& operator_file) {
    const size_t n = view.nodes.size();
    built = true;
    ++generation;
    numbers = now_numbers;
    signature = now_signature;
    p2p_addrs.resize(n);
    validator_roles.resize(n);
    identity = PeerIdentity();
    identity.Reserve(n);
    for (size_t i = 0; i < n; ++i) {
      p2p_addrs[i] = HelloOf(view.nodes[i]).p2p_addr();
      validator_roles[i] = HelloOf(view.nodes[i]).role() != "observer";
      identity.Add(p2p_addrs[i], static_cast<int>(i));
    }
    has_validators = api != nullptr;
    validators.clear();
    if (api != nullptr) {
      for (const v1::Validator& val : api->validators()) {
        validators.emplace_back(val.name(), val.addr());
      }
    }
    auto resolved =
        std::make_shared<ValidatorSet>(ResolveValidatorSet(view, figures, operator_file));
    // Unobserved validators take the indices after the nodes': a session with one resolves to
    // n + its place among the unobserved.
    int unobserved = 0;
    for (size_t k = 0; k < resolved->validators.size(); ++k) {
      const int node = resolved->nodes[k];
      const std::string& addr = resolved->validators[k].addr;
      if (node >= 0) {
        identity.Add(addr, node);
      } else {
        identity.Add(addr, static_cast<int>(n) + unobserved++);
      }
    }
    set = std::move(resolved);
  }
};

// A node's sessions and probes resolved against the address book: node indices depend only on
// the address keys and the book, so while neither changes (a node's peers and the validators
// its agent probes stay for hours) a tick reuses them, without a hash lookup per session and
// probe or a sort per node. Only the ages are read anew.
struct ModelMemory::ResolvedPeers {
  // Per session: an index into `sessions`, kNoNode, or kUnobserved - k for unobserved k.
  static constexpr int32_t kNoNode = -1;
  static constexpr int32_t kUnobserved = -2;

  uint64_t book = 0;  // AddressBook::generation; 0: nothing resolved
  // The sessions as their count and CompactPeers::sessions_hash, made at ingest: comparing a
  // remembered copy of every session's key read three more cache lines a node on every tick.
  size_t session_count = 0;
  uint64_t sessions_hash = 0;
  std::vector<int32_t> slot;
  std::vector<int> sessions;  // the nodes of the sessions, sorted, unique
  // The probes' keys as their size and CompactPeers::reachable_hash: an agent probing every
  // validator reports ~100 keys, and comparing them (800 bytes a node, read for nothing while
  // they stay) was a tenth of the partly observed fleet's model.
  size_t reachable_count = 0;
  uint64_t reachable_hash = 0;
  std::vector<int> reachable;           // sorted, unique
  std::vector<int> reached_unobserved;  // k of each probe that reached unobserved k
  // The build (FleetModel::build) and index whose facts last took `reachable` (0: none): the
  // facts at that index recycled into the next build hold it already while this resolution
  // stands (copying ~70 probes a node was a tenth of the partly observed fleet's tick).
  uint64_t reachable_build = 0;
  int reachable_index = -1;

  // What Apply reads of this resolution besides its head: the slots and the sessions.
  void PrefetchLists() const {
    PrefetchLines(slot.data(), slot.size() * sizeof(int32_t));
    PrefetchLines(sessions.data(), sessions.size() * sizeof(int));
    // Copied into the unobserved validators' lists: an agent probing every validator resolves
    // ~100 probes, and their lists missed the cache on every node. (`reachable` is copied only
    // when the resolution changed, and is not fetched for the ticks that keep it.)
    PrefetchLines(reached_unobserved.data(), reached_unobserved.size() * sizeof(int));
  }

  bool Matches(const CompactPeers& peers, uint64_t now_book) const {
    return book == now_book && peers.sessions.size() == session_count &&
           peers.sessions_hash == sessions_hash && peers.reachable.size() == reachable_count &&
           peers.reachable_hash == reachable_hash;
  }

  void Resolve(const CompactPeers& peers, const PeerIdentity& identity, int self, int n,
               uint64_t now_book) {
    book = now_book;
    session_count = peers.sessions.size();
    sessions_hash = peers.sessions_hash;
    slot.clear();
    sessions.clear();
    for (const PeerSession& peer : peers.sessions) {
      const int other = identity.ResolveKey(peer.remote, peer.inbound);
      slot.push_back(other);  // the node for now; made a slot below
      if (other >= 0 && other < n && other != self) sessions.push_back(other);
    }
    SortUnique(sessions);
    for (int32_t& s : slot) {
      const int other = s;
      if (other < 0 || other == self) {
        s = kNoNode;
      } else if (other >= n) {
        s = kUnobserved - (other - n);
      } else {
        s = static_cast<int32_t>(std::lower_bound(sessions.begin(), sessions.end(), other) -
                                 sessions.begin());
      }
    }
    reachable_count = peers.reachable.size();
    reachable_hash = peers.reachable_hash;
    reachable.clear();
    reached_unobserved.clear();
    for (uint64_t key : peers.reachable) {
      const int other = identity.FindKey(key);
      if (other >= n) reached_unobserved.push_back(other - n);
      if (other >= 0 && other < n) reachable.push_back(other);
    }
    SortUnique(reachable);
  }

  // The node's sessions, the smallest age with each and whom it hears (written over the last
  // model's list; whether that changed), from this snapshot's ages; sessions with unobserved
  // validators go to `unobserved(k, age)` in session order.
  template <typename Unobserved>
  bool Apply(const std::vector<PeerSession>& now, int64_t heard_within_ms, NodeFacts& f,
             Unobserved&& unobserved) const {
    f.sessions.assign(sessions.begin(), sessions.end());
    f.session_age_ms.assign(sessions.size(), UINT32_MAX);
    for (size_t k = 0; k < now.size(); ++k) {
      const int32_t s = slot[k];
      const uint32_t age = now[k].last_data_recv_age_ms;
      if (s >= 0) {
        f.session_age_ms[s] = std::min(f.session_age_ms[s], age);
      } else if (s <= kUnobserved) {
        unobserved(kUnobserved - s, age);
      }
    }
    HearsWriter hears(f.hears);
    for (size_t s = 0; s < sessions.size(); ++s) {
      if (static_cast<int64_t>(f.session_age_ms[s]) <= heard_within_ms) hears.Add(sessions[s]);
    }
    return hears.Finish();
  }
};

ModelMemory::ModelMemory() : book_(std::make_unique<AddressBook>()) {}
ModelMemory::~ModelMemory() = default;
ModelMemory::ModelMemory(ModelMemory&&) noexcept = default;
ModelMemory& ModelMemory::operator=(ModelMemory&&) noexcept = default;

void ModelMemory::Recycle(FleetModel&& model) {
  spare_nodes_ = std::move(model.nodes);
  spare_unobserved_ = std::move(model.unobserved);
  spare_build_ = model.build;
}

FleetModel BuildFleetModel(const FleetView& view, const AnalysisConfig& config) {
  std::vector<uint32_t> numbers(view.nodes.size());
  for (size_t i = 0; i < numbers.size(); ++i) numbers[i] = static_cast<uint32_t>(i);
  ModelMemory memory;
  FleetModel model = BuildFleetModel(view, config, numbers, memory);
  model.index_epoch = 0;  // its indices are no other model's
  return model;
}

FleetModel BuildFleetModel(const FleetView& view, const AnalysisConfig& config,
                           const std::vector<uint32_t>& numbers, ModelMemory& memory) {
  FleetModel model;
  model.now = view.now;
  const int n = static_cast<int>(view.nodes.size());
  const size_t recycled = std::min(memory.spare_nodes_.size(), static_cast<size_t>(n));
  model.build = ++memory.builds_;
  // The recycled facts are the previous model's, of as many nodes; the first pass checks that
  // each index holds the same node.
  const bool follows = memory.spare_build_ != 0 && memory.spare_build_ + 1 == model.build;
  bool tracked = follows && memory.spare_nodes_.size() == static_cast<size_t>(n);
  // By index: the facts recycled there are the previous build's of the same node.
  std::vector<char> same_facts(n, 0);
  model.nodes = std::move(memory.spare_nodes_);
  memory.spare_nodes_.clear();
  std::vector<UnobservedValidator> spare_unobserved = std::move(memory.spare_unobserved_);
  memory.spare_unobserved_.clear();
  memory.spare_build_ = 0;
  model.nodes.resize(n);
  model.hears_changed.assign(n, 0);
  // One pass over the view for the figures, the id order and the newest validator list: each
  // pass over 10 000 observations misses the cache anew. The order of a view of the identity
  // generation the address book saw last is known without comparing the ids.
  const ModelMemory::AddressBook& last_book = *memory.book_;
  const bool order_known =
      view.identity_generation != 0 && view.identity_generation == last_book.identity_generation;
  bool in_order = order_known ? last_book.in_id_order : true;
  // The validator list of the newest epoch any node reports, and what the validator set is
  // resolved from: a change in any of them rebuilds the set and the address book.
  const v1::ValidatorSet* validators = nullptr;
  uint64_t validators_epoch = 0;
  std::vector<const SnapshotFigures*> figures(n, nullptr);
  uint64_t signature = 1469598103934665603ULL;
  auto mix = [&signature](uint64_t x) { signature = (signature ^ x) * 1099511628211ULL; };
  for (int i = 0; i < n; ++i) {
    if (i + 2 * kAhead < n) PrefetchHead(view.nodes[i + 2 * kAhead]);
    const NodeObservation& obs = view.nodes[i];
    NodeFacts& f = model.nodes[i];
    if (static_cast<size_t>(i) < recycled) {
      tracked = tracked && f.number == numbers[i];
      same_facts[i] = follows && f.number == numbers[i];
      Reset(f);
    }
    f.observation = &obs;
    f.id = &obs.node_id;
    f.number = numbers[i];
    if (!order_known && i > 0 && in_order) in_order = view.nodes[i - 1].node_id <= obs.node_id;
    f.has_snapshot = obs.latest != nullptr;
    if (obs.latest == nullptr) {
      model.hears_changed[i] = !f.hears.empty();
      f.hears.clear();
      f.reachable.clear();
      continue;
    }
    if (FiguresCurrent(obs)) {
      f.figures = &obs.latest_figures;
    } else {
      f.figures =
          model.made_figures
              .emplace_back(std::make_unique<SnapshotFigures>(SnapshotFiguresOf(*obs.latest)))
              .get();
    }
    const SnapshotFigures& fig = *f.figures;
    figures[i] = &fig;
    if (fig.validators > 0 && (validators == nullptr || fig.validators_epoch > validators_epoch)) {
      validators = &obs.latest->validators();
      validators_epoch = fig.validators_epoch;
    }
    // The memory and API figures share the line of `mode`, read here; the main pass adds the
    // ones on the lines it reads.
    f.runbook_clear = !MemoryNearLimit(fig) && !ApiErrorsOver(fig);
    f.engine_failed = fig.engine_failed;
    f.participants = fig.participants;
    f.participants_hash = fig.participants_hash;
    if (fig.mode == v1::CONSENSUS_MODE_SIMPLEX) {
      mix(static_cast<uint64_t>(i) + 1);
      mix(fig.participants_hash);
      mix(fig.public_key_hash);
    }
  }
  model.by_id.resize(n);
  for (int i = 0; i < n; ++i) model.by_id[i] = i;
  if (!in_order) {
    std::stable_sort(model.by_id.begin(), model.by_id.end(),
                     [&](int a, int b) { return view.nodes[a].node_id < view.nodes[b].node_id; });
  }
  model.rank.resize(n);
  for (int r = 0; r < n; ++r) model.rank[model.by_id[r]] = static_cast<uint32_t>(r);

  // Node P2P addresses first, then each validator's address for its node (found by name, key,
  // else address), and the unobserved validators' after them: peers are matched against all.
  ModelMemory::AddressBook& book = *memory.book_;
  if (!book.Matches(view, numbers, validators, signature)) {
    book.Build(view, numbers, validators, signature, figures, config.operator_validators);
  }
  book.identity_generation = view.identity_generation;
  book.in_id_order = in_order;
  const PeerIdentity& identity = book.identity;
  model.validator_set = book.set;
  const ValidatorSet& set = *book.set;
  model.mode = set.mode;
  model.total_weight = set.total_weight;
  model.quorum_weight = set.quorum_weight;
  // Whether the unobserved validators' `reached_by` lists are the previous model's, kept.
  bool reach_kept = false;
  if (set.source == ValidatorSource::kAgents) {
    for (int i = 0; i < n; ++i) {
      NodeFacts& f = model.nodes[i];
      f.validator = book.validator_roles[i];
      f.weight = f.validator ? 1 : 0;
    }
  } else {
    // The previous model's unobserved validators, with their lists' storage. Their `reached_by`
    // depends only on each node's resolved probes and index: it stands while every index holds
    // the node it held (tracked), against the same address book (the same unobserved validators
    // in the same order), and is dropped below at the first node whose probes resolved anew.
    const size_t unobserved = static_cast<size_t>(
        std::count_if(set.nodes.begin(), set.nodes.end(), [](int node) { return node < 0; }));
    model.unobserved = std::move(spare_unobserved);
    reach_kept =
        tracked && memory.last_book_ == book.generation && model.unobserved.size() == unobserved;
    model.unobserved.resize(unobserved);
    size_t next = 0;
    for (size_t k = 0; k < set.validators.size(); ++k) {
      const int node = set.nodes[k];
      if (node < 0) {
        UnobservedValidator& u = model.unobserved[next++];
        u.entry = &set.validators[k];
        u.heard_by.clear();
        u.sessions_by.clear();
        u.session_age_ms.clear();
        if (!reach_kept) u.reached_by.clear();
        continue;
      }
      model.nodes[node].validator = true;
      model.nodes[node].weight = set.validators[k].weight;
    }
  }
  // Sessions and probes that reach unobserved validators go straight to its lists: nodes come
  // in index order, so each list is sorted as it grows (sorting one (validator, node, age)
  // entry per probe was most of the model's time when every agent probes every validator).
  // Each list has room for every node up front: when every agent probes every validator, each
  // grows to n, and growing 30 lists of 10 000 by doubling was a twentieth of the model.
  // Kept lists skip the 300 000 appends a tick of a fleet whose agents all probe 30 unobserved
  // validators (with each list reserved anew, page faults and all: 5 % of that tick).
  if (!reach_kept) {
    for (UnobservedValidator& u : model.unobserved) u.reached_by.reserve(n);
  }
  memory.last_book_ = book.generation;
  auto reached_unobserved = [&model](int k, int node) {
    std::vector<int>& reached = model.unobserved[k].reached_by;
    if (reached.empty() || reached.back() != node) reached.push_back(node);
  };
  // Node `i`'s probes may reach other unobserved validators than in the previous build: the
  // kept lists are dropped and made again from the nodes before it (each of which resolved its
  // probes as before, so its remembered resolution is current); the nodes from `i` on append.
  auto stop_keeping_reached = [&](int i) {
    if (!reach_kept) return;
    reach_kept = false;
    for (UnobservedValidator& u : model.unobserved) {
      u.reached_by.clear();
      u.reached_by.reserve(n);
    }
    for (int j = 0; j < i; ++j) {
      if (!model.nodes[j].has_snapshot) continue;
      for (int k : memory.resolved_[numbers[j]].reached_unobserved) reached_unobserved(k, j);
    }
  };

  const int64_t heard_within_ms = HeardWithinMs(config.peer_heard_within);
  model.live_quiet_longest = config.peer_heard_within / 2;
  // Ages are whole milliseconds: Milliseconds(age) > live_quiet_longest exactly when age is
  // above the window's floor in milliseconds (infinite: never).
  const int64_t quiet_ms =
      absl::ToInt64Milliseconds(absl::Floor(model.live_quiet_longest, absl::Milliseconds(1)));
  std::vector<std::pair<int, uint32_t>> ages;  // reused across nodes
  // Counted here, while each node's list is in cache (a pass of its own fetched every node's
  // list again: 30 % of the model's own time), and into a small array: adding into NodeFacts
  // directly touches a cold node per edge.
  std::vector<int> heard_by(n, 0);
  const std::vector<ModelMemory::ResolvedPeers>& remembered = memory.resolved_;
  for (int i = 0; i < n; ++i) {
    // The arrival windows and the remembered resolutions' heads are not asked for: they sit in
    // arrays by stable number, read in order, which the hardware fetches ahead by itself, and on
    // a 2-vCPU Xeon the nine more prefetches a node held the line fill buffers the scattered
    // reads wait for.
    if (i + 3 * kAhead < n) PrefetchBody(view.nodes[i + 3 * kAhead]);
    if (i + 2 * kAhead < n) {
      const NodeObservation& ahead = view.nodes[i + 2 * kAhead];
      // A current tail holds what the window gained since the last tick (usually): the window is
      // read only when it is not, or when the tail does not reach far enough.
      if (ahead.samples != nullptr && !TailCurrent(ahead)) __builtin_prefetch(ahead.samples.get());
      const uint32_t number = numbers[i + 2 * kAhead];
      if (number < remembered.size()) remembered[number].PrefetchLists();
    }
    if (i + kAhead < n) {
      const NodeObservation& ahead = view.nodes[i + kAhead];
      if (ahead.samples != nullptr && !TailCurrent(ahead) && ahead.samples->size() >= 2) {
        PrefetchLines(&(*ahead.samples)[ahead.samples->size() - 2], 2 * sizeof(SnapshotSample));
      }
      PrefetchLines(ahead.latest_peers.sessions.data(),
                    ahead.latest_peers.sessions.size() * sizeof(PeerSession));
    }
    NodeFacts& f = model.nodes[i];
    if (!f.has_snapshot) {
      // Its probes counted in the previous build (the resolution was taken then; at this index,
      // as the facts are tracked): they count no more.
      if (reach_kept && numbers[i] < memory.resolved_.size() &&
          memory.resolved_[numbers[i]].reachable_build + 1 == model.build) {
        stop_keeping_reached(i);
      }
      continue;
    }
    const NodeObservation& obs = *f.observation;
    const SnapshotFigures& fig = *f.figures;
    f.interval =
        fig.interval_ms > 0 ? absl::Milliseconds(fig.interval_ms) : config.default_interval;
    f.silence = view.now - obs.last_received;
    if (memory.arrivals_.size() <= numbers[i]) memory.arrivals_.resize(numbers[i] + 1);
    ArrivalWindow& window = memory.arrivals_[numbers[i]];
    const bool tail_current = TailCurrent(obs);
    if (!tail_current || !window.FollowTail(obs.samples_tail)) window.Follow(SamplesOf(obs));
    f.phi_terms = window.Terms(obs.last_received, view.now, f.interval);
    f.clock_offset = window.ClockOffset();
    f.silent = PhiAtLeast(f.phi_terms, config.phi_threshold);
    f.taken = obs.last_received;
    // The newest sample, from the tail when current.
    const SnapshotSample* newest = nullptr;
    if (tail_current) {
      if (obs.samples_tail.size > 0) newest = &obs.samples_tail.last[1];
    } else if (!SamplesOf(obs).empty()) {
      newest = &SamplesOf(obs).back();
    }
    // fig.seq is the snapshot's (current figures match it, made ones come from it), read
    // without touching the snapshot.
    if (newest != nullptr && newest->seq == fig.seq && f.clock_offset != absl::InfiniteDuration()) {
      f.taken = std::min(obs.last_received, newest->taken - f.clock_offset);
    }
    f.stream_closed = !obs.connected && obs.connection_changed != absl::InfinitePast() &&
                      obs.connection_changed >= obs.last_received;
    f.reporting = !f.silent;
    f.height = fig.finalized_height;
    f.height_known = fig.height_known;
    f.view = fig.view;
    f.block_id = fig.block_id;
    f.block_height = fig.block_height;
    f.has_peer_data = !fig.peer_source_failed;
    // On the line of block_id's size and the observation's, both read above.
    f.api_reachable = fig.api_reachable;
    f.uptime_seconds = fig.uptime_seconds;
    f.node_restarts = fig.node_restarts;
    f.corruption_lines = fig.corruption_lines;
    f.connected = obs.connected;
    f.connection_changed = obs.connection_changed;
    f.runbook_clear =
        f.runbook_clear && !DiskNearFull(fig) && !fig.config_fallback && fig.corruption_lines == 0;
    const bool compact = PeersCurrent(obs);
    if (memory.resolved_.size() <= numbers[i]) memory.resolved_.resize(numbers[i] + 1);
    ModelMemory::ResolvedPeers& resolved = memory.resolved_[numbers[i]];
    if (compact) {
      const bool matches = resolved.Matches(obs.latest_peers, book.generation);
      if (!matches) resolved.Resolve(obs.latest_peers, identity, i, n, book.generation);
      model.hears_changed[i] = resolved.Apply(
          obs.latest_peers.sessions, heard_within_ms, f, [&](int k, uint32_t age_ms) {
            if (!f.reporting || !f.has_peer_data) return;
            // A node's sessions with one validator keep the smallest age.
            UnobservedValidator& u = model.unobserved[k];
            if (!u.sessions_by.empty() && u.sessions_by.back() == i) {
              u.session_age_ms.back() = std::min(u.session_age_ms.back(), age_ms);
            } else {
              u.sessions_by.push_back(i);
              u.session_age_ms.push_back(age_ms);
            }
          });
      // Kept: these facts took this resolution's list in the previous build, at this index (and
      // the unobserved validators' lists hold its probes at this index).
      if (!matches || !same_facts[i] || resolved.reachable_build + 1 != model.build ||
          resolved.reachable_index != i) {
        f.reachable.assign(resolved.reachable.begin(), resolved.reachable.end());
        stop_keeping_reached(i);
      }
      resolved.reachable_build = model.build;
      resolved.reachable_index = i;
      if (!reach_kept) {
        for (int k : resolved.reached_unobserved) reached_unobserved(k, i);
      }
    } else {
      // A view without compact peers (hand-built): the snapshot's PeerViews, as text.
      stop_keeping_reached(i);
      resolved.book = 0;
      // Its probes counted in this build, though not through this resolution: a build after it
      // without the node's snapshot must not keep the unobserved validators' lists.
      resolved.reachable_build = model.build;
      resolved.reachable_index = -1;
      ages.clear();
      const std::vector<int> last_hears = std::move(f.hears);
      f.hears.clear();
      f.hears.reserve(obs.latest_peers.valid ? obs.latest_peers.sessions.size()
                                             : static_cast<size_t>(obs.latest->peers_size()));
      auto add_session = [&](int other, uint32_t age_ms) {
        if (other < 0 || other == i) return;
        if (other >= n) {
          if (!f.reporting || !f.has_peer_data) return;
          // A node's sessions with one validator keep the smallest age.
          UnobservedValidator& u = model.unobserved[other - n];
          if (!u.sessions_by.empty() && u.sessions_by.back() == i) {
            u.session_age_ms.back() = std::min(u.session_age_ms.back(), age_ms);
          } else {
            u.sessions_by.push_back(i);
            u.session_age_ms.push_back(age_ms);
          }
          return;
        }
        ages.emplace_back(other, age_ms);
        if (static_cast<int64_t>(age_ms) <= heard_within_ms) f.hears.push_back(other);
      };
      for (const v1::PeerView& peer : obs.latest->peers()) {
        add_session(identity.Resolve(peer), peer.last_data_recv_age_ms());
      }
      std::sort(ages.begin(), ages.end());
      f.sessions.reserve(ages.size());
      f.session_age_ms.reserve(ages.size());
      for (const auto& [other, age] : ages) {
        if (!f.sessions.empty() && f.sessions.back() == other) continue;  // sorted: first is min
        f.sessions.push_back(other);
        f.session_age_ms.push_back(age);
      }
      SortUnique(f.hears);
      model.hears_changed[i] = f.hears != last_hears;
      f.reachable.clear();
      for (const v1::ProbeResult& probe : obs.latest->probes()) {
        if (!probe.reachable()) continue;
        int other = identity.Find(probe.addr());
        if (other >= n) reached_unobserved(other - n, i);
        if (other >= 0 && other < n) f.reachable.push_back(other);
      }
      SortUnique(f.reachable);
    }
    // Down on the peer source's evidence: it worked and found no peer heard, while the API did
    // not answer (refused, or hung past the deadline as a dead node's half-open port does).
    // Sources both cut off at their deadline on a busy host (no health, no peer data) are no
    // evidence: calling that a dead process made the node "restarted", unsettled for a flap
    // window, and the flapping of its links went uncounted (S17 at scale 0.1).
    f.process_down = f.reporting && !fig.api_reachable && f.has_peer_data && f.hears.empty();
    // Heard (the smallest age within the window, as `hears` counts it) but quiet: aging.
    for (const uint32_t age : f.session_age_ms) {
      if (static_cast<int64_t>(age) > quiet_ms && static_cast<int64_t>(age) <= heard_within_ms) {
        model.quiet_heard.push_back(i);
        break;
      }
    }
    if (f.reporting && f.has_peer_data) {
      for (int v : f.hears) ++heard_by[v];
    }
    if (f.reporting) {
      ++model.reporting;
      model.max_height = std::max(model.max_height, f.height);
      model.max_view = std::max(model.max_view, f.view);
    }
  }
  model.hears_tracked = tracked;
  if (!tracked) ++memory.index_epochs_;
  model.index_epoch = memory.index_epochs_;
  if (!tracked) model.hears_changed.assign(n, 1);
  for (int i = 0; i < n; ++i) model.nodes[i].heard_by = heard_by[i];
  for (int i = 0; i < n; ++i) {
    if (model.nodes[i].reporting && model.nodes[i].has_peer_data) model.observers.push_back(i);
  }
  for (UnobservedValidator& u : model.unobserved) {
    for (size_t k = 0; k < u.sessions_by.size(); ++k) {
      if (static_cast<int64_t>(u.session_age_ms[k]) <= heard_within_ms) {
        u.heard_by.push_back(u.sessions_by[k]);
      }
    }
  }

  // Quorum height: walk reporting validators from the highest height down until their weight
  // reaches the quorum.
  std::vector<std::pair<uint64_t, uint64_t>> by_height;
  for (const NodeFacts& f : model.nodes) {
    if (f.reporting && f.weight > 0) by_height.emplace_back(f.height, f.weight);
  }
  std::sort(by_height.begin(), by_height.end(), std::greater<>());
  uint64_t weight = 0;
  for (const auto& [height, w] : by_height) {
    weight += w;
    if (weight >= model.quorum_weight) {
      model.quorum_height = height;
      break;
    }
  }
  int with_snapshot = 0;
  for (const NodeFacts& f : model.nodes) with_snapshot += f.has_snapshot ? 1 : 0;
  model.one_way_margin = std::max(model.live_quiet_longest, config.host_noise);
  model.blindness =
      CollectorBlindnessOf(view.collector, view.now, model.reporting, with_snapshot, config);
  return model;
}

const std::vector<int>& InRankOrder(const std::vector<int>& nodes,
                                    const std::vector<uint32_t>& rank, std::vector<int>& scratch) {
  auto by_rank = [&](int a, int b) { return rank[a] < rank[b]; };
  if (std::is_sorted(nodes.begin(), nodes.end(), by_rank)) return nodes;
  scratch = nodes;
  std::sort(scratch.begin(), scratch.end(), by_rank);
  return scratch;
}

}  // namespace guts::collector
