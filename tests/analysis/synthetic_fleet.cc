#include "tests/analysis/synthetic_fleet.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/fleet/peer_address.h"
#include "collector/fleet/snapshot_figures.h"
#include "gtest/gtest.h"

namespace guts::collector::testing {

namespace v1 = ::guts::diag::v1;

bool& SyntheticFleet::DefaultSimplex() {
  static bool simplex = false;
  return simplex;
}

SyntheticFleet::SyntheticFleet(int n, uint64_t weight) : simplex_(DefaultSimplex()) {
  nodes_.resize(n);
  for (int i = 0; i < n; ++i) {
    nodes_[i].id = Name(i);
    nodes_[i].ip = absl::StrCat("10.0.", i / 200, ".", i % 200 + 10);
    nodes_[i].weight = weight;
  }
  hears_.assign(n, std::vector<char>(n, 1));
  session_.assign(n, std::vector<char>(n, 1));
  stopped_.assign(n, std::vector<absl::Time>(n, absl::InfinitePast()));
  for (int i = 0; i < n; ++i) hears_[i][i] = session_[i][i] = 0;
}

std::vector<std::string> SyntheticFleet::Names(int first, int last) const {
  std::vector<std::string> out;
  for (int i = first; i <= last; ++i) out.push_back(Name(i - 1));
  return out;
}

namespace {
int Index(const std::string& name) { return std::stoi(name.substr(1)) - 1; }
}  // namespace

void SyntheticFleet::SetWeights(const std::vector<uint64_t>& weights) {
  for (size_t i = 0; i < weights.size() && i < nodes_.size(); ++i) nodes_[i].weight = weights[i];
}

void SyntheticFleet::SetHears(const std::string& to, const std::string& from, bool hears) {
  char& h = hears_[Index(to)][Index(from)];
  if (h && !hears) stopped_[Index(to)][Index(from)] = now_;
  h = hears;
}

void SyntheticFleet::Cut(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      SetHears(x, y, false);
      SetHears(y, x, false);
    }
  }
}

void SyntheticFleet::Heal() {
  for (int i = 0; i < size(); ++i) {
    for (int j = 0; j < size(); ++j) {
      if (i != j && session_[i][j]) hears_[i][j] = 1;
    }
  }
}

void SyntheticFleet::Isolate(const std::string& node) {
  for (int j = 0; j < size(); ++j) {
    if (j == Index(node)) continue;
    SetHears(node, Name(j), false);
    SetHears(Name(j), node, false);
  }
}

void SyntheticFleet::DropSessions(const std::string& a, const std::string& b) {
  session_[Index(a)][Index(b)] = session_[Index(b)][Index(a)] = 0;
}

void SyntheticFleet::Sparse(int k) {
  int n = size();
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      int d = std::abs(i - j);
      d = std::min(d, n - d);
      bool keep = i != j && d <= k / 2;
      session_[i][j] = keep;
      hears_[i][j] = keep;
    }
  }
}

void SyntheticFleet::WriteAllowedPeers() {
  for (int i = 0; i < size(); ++i) {
    nodes_[i].allowed.clear();
    for (int j = 0; j < size(); ++j) {
      if (session_[i][j]) nodes_[i].allowed.insert(j);
    }
  }
}

void SyntheticFleet::Kill(const std::string& node) {
  Node& n = nodes_[Index(node)];
  n.agent_up = false;
  n.connection_changed = now_;  // the agent's stream closes with it
  n.process_up = false;
}

void SyntheticFleet::Restart(const std::string& node) {
  Node& n = nodes_[Index(node)];
  n.agent_up = true;
  n.process_up = true;
}

void SyntheticFleet::AgentCutFromCollector(const std::string& node, bool cut) {
  nodes_[Index(node)].agent_reaches_collector = !cut;
}

void SyntheticFleet::ProcessDown(const std::string& node) {
  nodes_[Index(node)].process_up = false;
}

void SyntheticFleet::QuickRestart(const std::string& node, RestartSeen seen) {
  Node& n = nodes_[Index(node)];
  n.reconnecting = 3;  // counted down by Step(): two snapshots without sessions
  if (seen == RestartSeen::kUptime) n.process_started = now_;
  if (seen == RestartSeen::kNewPid) ++n.restarts;
  if (seen == RestartSeen::kAgentReconnect) n.connection_changed = now_;
}

void SyntheticFleet::SetRate(const std::string& node, double rate) {
  nodes_[Index(node)].rate = rate;
}

void SyntheticFleet::SetAllRates(double rate) {
  for (Node& n : nodes_) n.rate = rate;
}

void SyntheticFleet::SetApiReadFailed(const std::string& node, bool failed) {
  nodes_[Index(node)].api_read_failed = failed;
}

void SyntheticFleet::SetHeight(const std::string& node, uint64_t height) {
  nodes_[Index(node)].height = static_cast<double>(height);
}

void SyntheticFleet::Fork(const std::vector<std::string>& group) {
  for (const std::string& g : group) {
    Node& n = nodes_[Index(g)];
    n.forked = true;
    n.fork_from = static_cast<uint64_t>(n.height) + 1;
  }
}

void SyntheticFleet::RemoveAgent(const std::string& node) { nodes_[Index(node)].has_agent = false; }

void SyntheticFleet::DropAllowedPeer(const std::string& node, const std::string& peer) {
  nodes_[Index(node)].lacks.insert(Index(peer));
  DropSessions(node, peer);
  SetHears(node, peer, false);
  SetHears(peer, node, false);
}

void SyntheticFleet::FailEngine(const std::string& node) {
  Node& n = nodes_[Index(node)];
  n.engine_failed = true;
  n.rate = 0;
  for (int j = 0; j < size(); ++j) {
    if (j != Index(node)) DropSessions(node, Name(j));
  }
}

std::string SyntheticFleet::Key(int i) { return absl::StrFormat("%064x", 0xabc000 + i + 1); }

void SyntheticFleet::SetDiskUsed(const std::string& node, double ratio) {
  nodes_[Index(node)].disk_used = ratio;
}
void SyntheticFleet::SetConfigFallback(const std::string& node) {
  Node& n = nodes_[Index(node)];
  n.config_fallback = true;
  // A Simplex node on defaults runs no consensus and so no P2P, and its API answers on
  // loopback only: to its agent and its peers it is as good as gone (GUTS_NODE.md).
  if (simplex_) n.process_up = false;
}
void SyntheticFleet::SetClockOffset(const std::string& node, absl::Duration offset) {
  nodes_[Index(node)].clock_offset = offset;
}
void SyntheticFleet::SetLabel(const std::string& node, const std::string& key,
                              const std::string& value) {
  nodes_[Index(node)].labels[key] = value;
}
void SyntheticFleet::SetCorruptionLines(const std::string& node, uint64_t lines) {
  nodes_[Index(node)].corruption = lines;
}
void SyntheticFleet::SetMemoryUsed(const std::string& node, double ratio) {
  nodes_[Index(node)].memory_used = ratio;
}
void SyntheticFleet::SetApiErrors(const std::string& node, double ratio_5xx, double p99_seconds) {
  Node& n = nodes_[Index(node)];
  n.http_5xx_ratio = ratio_5xx;
  n.http_p99_seconds = p99_seconds;
}
void SyntheticFleet::SetCollectorPause(absl::Duration pause) {
  pause_ = pause;
  pause_ended_ = now_;
}

void SyntheticFleet::SetOverloaded(bool overloaded, absl::Duration ingest_lag) {
  overloaded_ = overloaded;
  ingest_lag_ = ingest_lag;
}

std::string SyntheticFleet::BlockId(const Node& n, uint64_t height) const {
  if (n.forked && height >= n.fork_from) return absl::StrCat("f", height);
  return absl::StrCat("b", height);
}

void SyntheticFleet::Step() {
  absl::Duration jitter = absl::ZeroDuration();
  if (jitter_ > absl::ZeroDuration()) {
    rng_ = rng_ * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = static_cast<double>(rng_ >> 11) / static_cast<double>(1ULL << 53);
    jitter = jitter_ * (2 * u - 1);
  }
  now_ += interval_;
  for (int i = 0; i < size(); ++i) {
    Node& n = nodes_[i];
    if (n.reconnecting > 0) --n.reconnecting;
    if (n.process_up) {
      n.height += n.rate;
      if (views_climb_) n.view += 1;
    }
    if (!n.agent_up || !n.agent_reaches_collector) continue;
    ++n.seq;
    SnapshotSample s;
    s.received = now_ + jitter;
    s.taken = s.received + n.clock_offset - absl::Milliseconds(5);
    s.seq = n.seq;
    s.height = n.api_read_failed ? 0 : static_cast<uint64_t>(n.height);
    s.view = n.view;
    n.last_block_id = BlockId(n, s.height);
    n.samples.push_back(s);
    if (n.samples.size() > 120) n.samples.erase(n.samples.begin());
    n.last_received = s.received;
    n.reported_hears = hears_[i];
  }
}

FleetView SyntheticFleet::View() const {
  FleetView view;
  view.now = now_;
  view.collector.overloaded = overloaded_;
  view.collector.ingest_lag = ingest_lag_;
  view.collector.pause = pause_;
  view.collector.pause_ended = pause_ended_;
  v1::ValidatorSet validators;
  uint64_t total = 0;
  for (const Node& n : nodes_) {
    v1::Validator* v = validators.add_validators();
    v->set_name(n.id);
    v->set_weight(n.weight);
    v->set_addr(absl::StrCat(n.ip, ":9000"));
    v->set_active(true);
    total += n.weight;
  }
  validators.set_total_weight(total);
  validators.set_quorum_weight((2 * total + 2) / 3);
  validators.set_epoch(1);
  for (int i = 0; i < size(); ++i) {
    const Node& n = nodes_[i];
    if (!n.has_agent) continue;
    NodeObservation obs;
    obs.node_id = n.id;
    v1::Hello& hello = MutableHello(obs);
    hello.set_node_id(n.id);
    hello.set_p2p_addr(absl::StrCat(n.ip, ":9000"));
    hello.set_role("validator");
    for (const auto& [k, val] : n.labels) (*hello.mutable_labels())[k] = val;
    obs.first_seen = absl::FromUnixSeconds(1'800'000'000);
    obs.connected = n.agent_up && n.agent_reaches_collector;
    obs.connection_changed = n.connection_changed;
    if (n.seq == 0) {
      view.nodes.push_back(std::move(obs));
      continue;
    }
    obs.samples = std::make_shared<const std::vector<SnapshotSample>>(n.samples);
    obs.last_received = n.last_received;
    v1::Snapshot& s = MutableLatest(obs);
    const SnapshotSample& last = n.samples.back();
    s.set_node_id(n.id);
    s.set_seq(last.seq);
    s.set_taken_unix_ms(absl::ToUnixMillis(last.taken));
    s.set_interval_ms(1000);
    s.mutable_health()->set_reachable(n.process_up);
    s.mutable_health()->set_status(n.process_up ? "up" : "unknown");
    if (n.process_up) {
      s.mutable_health()->set_uptime_seconds(
          static_cast<uint64_t>(absl::ToInt64Seconds(now_ - n.process_started)));
    }
    s.mutable_system()->set_node_restarts(n.restarts);
    s.mutable_consensus()->set_observed(true);
    s.mutable_consensus()->set_finalized_height(last.height);
    if (simplex_) {
      // What the agent makes of a Simplex node: the API's view stays 0 and lists nobody; the
      // log gives the digest and the proposed rounds, the config the participants.
      v1::ConsensusView& c = *s.mutable_consensus();
      c.set_mode(v1::CONSENSUS_MODE_SIMPLEX);
      c.set_proposed_view(last.view);
      c.set_engine_failed(n.engine_failed);
      v1::LogFacts& log = *s.mutable_log();
      log.set_finalized_height(last.height);
      log.set_finalized_block_id(n.last_block_id);
      log.set_proposed_view(last.view);
      log.set_engine_failed(n.engine_failed);
      log.set_simplex_started(true);
      log.set_public_key(Key(i));
      v1::NodeConfig& config = *s.mutable_config();
      config.set_loaded(true);
      config.set_consensus_enabled(true);
      config.set_use_simplex_bft(true);
      config.set_public_key(Key(i));
      config.set_p2p_listen_addr(absl::StrCat(n.ip, ":9000"));
      for (int j = 0; j < size(); ++j) {
        if (n.lacks.count(j)) continue;
        v1::Participant* p = config.add_participants();
        p->set_public_key(Key(j));
        p->set_addr(absl::StrCat(nodes_[j].ip, ":9000"));
        p->set_self(j == i);
      }
    } else {
      s.mutable_consensus()->set_view(last.view);
      s.mutable_consensus()->set_last_block_id(n.last_block_id);
      *s.mutable_validators() = validators;
      if (!n.allowed.empty()) {
        v1::NodeConfig& config = *s.mutable_config();
        config.set_loaded(true);
        config.set_public_key(Key(i));
        for (int j = 0; j < size(); ++j) {
          if (j != i && !n.allowed.count(j)) continue;
          v1::Participant* p = config.add_participants();
          p->set_public_key(Key(j));
          p->set_self(j == i);
        }
      }
    }
    s.mutable_system()->set_disk_total_bytes(1000000);
    s.mutable_system()->set_disk_available_bytes(
        static_cast<uint64_t>(1000000 * (1 - n.disk_used)));
    s.mutable_log()->set_config_fallback(n.config_fallback);
    s.mutable_log()->set_corruption_lines(n.corruption);
    if (n.memory_used > 0) {
      s.mutable_system()->set_cgroup_memory_max_bytes(1'000'000'000);
      s.mutable_system()->set_node_rss_bytes(static_cast<uint64_t>(1e9 * n.memory_used));
    }
    if (n.http_5xx_ratio > 0) s.mutable_metrics()->set_http_5xx_ratio(n.http_5xx_ratio);
    if (n.http_p99_seconds > 0) s.mutable_metrics()->set_http_p99_seconds(n.http_p99_seconds);
    if (n.process_up) {
      for (int j = 0; j < size(); ++j) {
        const Node& peer = nodes_[j];
        if (j == i || !session_[i][j] || !peer.process_up) continue;
        if (n.reconnecting > 0 || peer.reconnecting > 0) continue;
        v1::PeerView* p = s.add_peers();
        bool outbound = i < j;
        p->set_direction(outbound ? v1::PEER_DIRECTION_OUTBOUND : v1::PEER_DIRECTION_INBOUND);
        p->set_remote_addr(outbound ? absl::StrCat(peer.ip, ":9000")
                                    : absl::StrCat(peer.ip, ":", 40000 + i));
        p->set_local_addr(outbound ? absl::StrCat(n.ip, ":", 40000 + j)
                                   : absl::StrCat(n.ip, ":9000"));
        // A live agent reports what holds now; one that stopped delivering, what held when
        // its last snapshot was taken (taken before the link went quiet, it still heard it).
        const bool live = n.agent_up && n.agent_reaches_collector;
        const bool heard = live ? hears_[i][j] : n.reported_hears[j];
        int64_t age_ms = heard ? 150 : 60000;
        if (!heard && aging_ && stopped_[i][j] != absl::InfinitePast()) {
          age_ms = std::clamp<int64_t>(
              absl::ToInt64Milliseconds(n.last_received - stopped_[i][j]) + 150, 150, 60000);
        }
        p->set_last_data_recv_age_ms(static_cast<uint32_t>(age_ms));
        p->set_last_data_sent_age_ms(150);
        p->set_tcp_state("ESTABLISHED");
      }
    }
    if (n.api_read_failed) s.clear_consensus();
    if (made_at_ingest_) {
      obs.latest_peers = CompactPeersOf(obs.latest);
      obs.latest_figures = SnapshotFiguresOf(obs.latest);
    }
    view.nodes.push_back(std::move(obs));
  }
  std::sort(
      view.nodes.begin(), view.nodes.end(),
      [](const NodeObservation& a, const NodeObservation& b) { return a.node_id < b.node_id; });
  return view;
}

std::vector<v1::Incident> Timeline::Ever(v1::IncidentKind kind) const {
  std::vector<v1::Incident> out;
  for (const auto& [id, inc] : incidents) {
    if (inc.kind() == kind) out.push_back(inc);
  }
  return out;
}

std::set<v1::IncidentKind> Timeline::KindsEver() const {
  std::set<v1::IncidentKind> kinds;
  for (const auto& [id, inc] : incidents) kinds.insert(inc.kind());
  return kinds;
}

void RunTicks(Analyzer& analyzer, SyntheticFleet& fleet, int ticks, Timeline& timeline) {
  for (int t = 0; t < ticks; ++t) {
    fleet.Step();
    timeline.last = analyzer.Tick(fleet.View());
    ++timeline.ticks;
    for (const v1::Incident& inc : timeline.last.changed_incidents) {
      if (!timeline.incidents.count(inc.id())) timeline.opened_at_tick[inc.id()] = timeline.ticks;
      timeline.incidents[inc.id()] = inc;
    }
  }
}

AnalysisConfig TestConfig() {
  AnalysisConfig c;
  c.stall_threshold = absl::Seconds(30);
  return c;
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

std::vector<std::string> NodesOf(const v1::Incident& inc) {
  return {inc.nodes().begin(), inc.nodes().end()};
}

std::vector<std::vector<std::string>> GroupsOf(const v1::Incident& inc) {
  std::vector<std::vector<std::string>> out;
  for (const auto& g : inc.groups()) out.emplace_back(g.nodes().begin(), g.nodes().end());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Summaries(const Timeline& t) {
  std::string s;
  for (const auto& [id, inc] : t.incidents) {
    absl::StrAppend(&s, v1::IncidentKind_Name(inc.kind()), ": ", inc.summary(), "; ");
  }
  return s;
}

v1::Incident Only(const Timeline& t, v1::IncidentKind kind) {
  EXPECT_EQ(t.incidents.size(), 1u) << Summaries(t);
  auto all = t.Ever(kind);
  EXPECT_EQ(all.size(), 1u) << v1::IncidentKind_Name(kind) << ": " << Summaries(t);
  return all.empty() ? v1::Incident() : all[0];
}

}  // namespace guts::collector::testing
