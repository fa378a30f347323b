// The node runbooks' own thresholds (GUTS_NODE.md): disk free space, config fallback, memory
// against the cgroup limit, low peer count, API 5xx ratio and p99, corruption log lines.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/analysis/detector.h"
#include "collector/analysis/runbook.h"
#include "collector/analysis/runbook_figures.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

constexpr std::string_view kDiskFullSteps[] = {
    "df -h on the data dir", "free space or grow the volume",
    "the node stops writing blocks when the disk is full"};
constexpr RunbookSpec kDiskFullRunbook{.name = "disk-full", .steps = kDiskFullSteps};
constexpr std::string_view kConfigFallbackSteps[] = {
    "the node runs on defaults: API on loopback, default peers",
    "check the config path and permissions (config.yaml in the working dir)",
    "fix and restart the node"};
constexpr RunbookSpec kConfigFallbackRunbook{.name = "config-fallback",
                                             .steps = kConfigFallbackSteps};
constexpr std::string_view kHighMemorySteps[] = {
    "check RSS growth over time: gutsctl node history <node>",
    "raise the limit or restart before the OOM killer does"};
constexpr RunbookSpec kHighMemoryRunbook{.name = "high-memory", .steps = kHighMemorySteps};
constexpr std::string_view kApiErrorsSteps[] = {
    "check the node's log for 'API error' lines",
    "compare the 5xx ratio and p99 with the node's load"};
constexpr RunbookSpec kApiErrorsRunbook{.name = "api-errors", .steps = kApiErrorsSteps};
constexpr std::string_view kDataCorruptionSteps[] = {
    "stop the node before it serves more damaged data",
    "collect a bundle: gutsctl diag collect --node <node>",
    "restore the data dir from a backup or resync from peers"};
constexpr RunbookSpec kDataCorruptionRunbook{.name = "data-corruption",
                                             .steps = kDataCorruptionSteps};

constexpr IncidentKindSpec kDiskFull{.name = "DISK_FULL",
                                     .wire_kind = v1::DISK_FULL,
                                     .severity = v1::P3,
                                     .runbook = &kDiskFullRunbook};
// A node on its default config answers on loopback only and, in Simplex mode, runs no
// consensus and so no P2P: down and cut off to everyone, for that one cause.
constexpr std::string_view kConfigFallbackAbsorbs[] = {
    "NODE_DOWN",    "NODE_ISOLATED",    "NODE_ONE_WAY_ISOLATION", "LOW_PEERS",
    "NODE_LAGGING", "NODE_NOT_SYNCING", "ONE_WAY_LINK",           "FLAPPING_LINK"};
constexpr IncidentKindSpec kConfigFallback{.name = "CONFIG_FALLBACK",
                                           .wire_kind = v1::CONFIG_FALLBACK,
                                           .severity = v1::P2,
                                           .runbook = &kConfigFallbackRunbook,
                                           .absorbs = kConfigFallbackAbsorbs,
                                           .fold_rank = 95,
                                           .silences_its_nodes = true};
constexpr IncidentKindSpec kHighMemory{.name = "HIGH_MEMORY",
                                       .wire_kind = v1::HIGH_MEMORY,
                                       .severity = v1::P3,
                                       .runbook = &kHighMemoryRunbook};
constexpr IncidentKindSpec kLowPeers{.name = "LOW_PEERS",
                                     .wire_kind = v1::LOW_PEERS,
                                     .severity = v1::P3,
                                     .runbook = &kLowPeerCountRunbook};
constexpr IncidentKindSpec kApiErrors{.name = "API_ERRORS",
                                      .wire_kind = v1::API_ERRORS,
                                      .severity = v1::P3,
                                      .runbook = &kApiErrorsRunbook};
constexpr IncidentKindSpec kDataCorruption{.name = "DATA_CORRUPTION",
                                           .wire_kind = v1::DATA_CORRUPTION,
                                           .severity = v1::P1,
                                           .runbook = &kDataCorruptionRunbook,
                                           .kept_under_maintenance = true};
constexpr const IncidentKindSpec* kKinds[] = {&kDiskFull, &kConfigFallback, &kHighMemory,
                                              &kLowPeers, &kApiErrors,      &kDataCorruption};
// How long a corruption stays open after its last new log line.
constexpr ConfigWindow kWindows[] = {&AnalysisConfig::corruption_window};

Verdict NodeVerdict(const IncidentKindSpec& kind, const std::string& node, std::string summary) {
  Verdict v = MakeVerdict(kind, node);
  v.nodes = {node};
  v.summary = std::move(summary);
  return v;
}

std::string Percent(double ratio) { return absl::StrFormat("%.1f %%", ratio * 100); }

void Disk(const NodeFacts& f, std::vector<Verdict>& out) {
  const SnapshotFigures& s = *f.figures;
  if (!DiskNearFull(s)) return;
  double free = static_cast<double>(s.disk_available_bytes) / s.disk_total_bytes;
  Verdict v = NodeVerdict(
      kDiskFull, *f.id,
      absl::StrCat(*f.id, " data dir ", Percent(1 - free), " used (", Percent(free), " free)"));
  if (free < 0.10) v.severity = v1::P1;
  v.evidence["data_dir"] = LatestOf(*f.observation).system().data_dir();
  v.evidence["free"] = Percent(free);
  v.evidence["threshold"] = "free < 20 % warn, < 10 % critical";
  out.push_back(std::move(v));
}

void ConfigFallback(const NodeFacts& f, std::vector<Verdict>& out) {
  if (!f.figures->config_fallback) return;
  Verdict v =
      NodeVerdict(kConfigFallback, *f.id,
                  absl::StrCat(*f.id,
                               " failed to load its config file and runs on defaults (API on "
                               "loopback only)"));
  v.evidence["log"] = "Failed to load config file ... Using defaults";
  out.push_back(std::move(v));
}

void Memory(const NodeFacts& f, std::vector<Verdict>& out) {
  const SnapshotFigures& s = *f.figures;
  if (!MemoryNearLimit(s)) return;
  uint64_t limit = s.cgroup_memory_max_bytes;
  uint64_t used = MemoryUsed(s);
  double ratio = static_cast<double>(used) / limit;
  Verdict v = NodeVerdict(kHighMemory, *f.id,
                          absl::StrCat(*f.id, " uses ", Percent(ratio), " of its memory limit"));
  v.evidence["rss_bytes"] = absl::StrCat(used);
  v.evidence["limit_bytes"] = absl::StrCat(limit);
  out.push_back(std::move(v));
}

void Peers(const FleetModel& model, int u, std::vector<Verdict>& out) {
  const NodeFacts& f = model.nodes[u];
  if (!f.has_peer_data || f.process_down) return;
  // Only peers that could be heard count: peers that are not up are their own verdicts.
  int available = 0;
  for (int peer = 0; peer < static_cast<int>(model.nodes.size()) && available < 4; ++peer) {
    if (peer != u && model.nodes[peer].Up()) ++available;
  }
  int heard = static_cast<int>(f.hears.size());
  int wanted = std::min(3, available);
  if (heard >= wanted) return;
  Verdict v = NodeVerdict(kLowPeers, *f.id,
                          absl::StrCat(*f.id, " hears ", heard, heard == 1 ? " peer (" : " peers (",
                                       wanted, " expected)"));
  v.evidence["peers heard"] = absl::StrCat(heard);
  v.evidence["threshold"] = "< 3 warn, 0 critical";
  // Which up peers are missing, for folding under the cause that silenced them (an isolated
  // peer). Few in the fleets where three peers are a shortfall; capped for the others.
  constexpr size_t kMaxUnheard = 64;
  for (int p = 0; p < static_cast<int>(model.nodes.size()) && v.unheard_peers.size() < kMaxUnheard;
       ++p) {
    if (p == u || !model.nodes[p].Up()) continue;
    if (std::binary_search(f.hears.begin(), f.hears.end(), p)) continue;
    v.unheard_peers.push_back(*model.nodes[p].id);
  }
  v.peer_shortfall = wanted - heard;
  out.push_back(std::move(v));
}

void ApiErrors(const NodeFacts& f, std::vector<Verdict>& out) {
  const SnapshotFigures& m = *f.figures;
  if (!ApiErrorsOver(m)) return;
  Verdict v = NodeVerdict(kApiErrors, *f.id,
                          absl::StrCat(*f.id, " API: 5xx ", Percent(m.http_5xx_ratio), ", p99 ",
                                       absl::StrFormat("%.2f s", m.http_p99_seconds)));
  v.evidence["5xx_ratio"] = Percent(m.http_5xx_ratio);
  v.evidence["p99"] = absl::StrFormat("%.2f s", m.http_p99_seconds);
  out.push_back(std::move(v));
}

void Corruption(const DetectorInput& in, const NodeFacts& f, std::vector<Verdict>& out) {
  uint64_t lines = f.figures->corruption_lines;
  if (lines == 0) return;
  const NodeHistory* nh = in.history.Node(f.number);
  absl::Time grew = in.model.now;
  if (nh != nullptr && nh->corruption_lines >= lines) grew = nh->corruption_grew;
  if (in.model.now - grew > in.config.corruption_window) return;
  Verdict v = NodeVerdict(kDataCorruption, *f.id,
                          absl::StrCat(*f.id, " logged ", lines, " data corruption lines"));
  v.evidence["corruption lines"] = absl::StrCat(lines);
  out.push_back(std::move(v));
}

void DetectRunbookThresholds(const DetectorInput& in, std::vector<Verdict>& out) {
  const FleetModel& model = in.model;
  const int n = static_cast<int>(model.nodes.size());
  for (int u = 0; u < n; ++u) {
    // The figures are cold by now: ask for a later node's early, when they are read at all.
    // What the checks read runs from config_fallback to http_p99_seconds, two or three lines
    // past the figures' first.
    if (u + 8 < n && model.nodes[u + 8].figures != nullptr && !model.nodes[u + 8].runbook_clear) {
      const SnapshotFigures* ahead = model.nodes[u + 8].figures;
      __builtin_prefetch(&ahead->config_fallback);
      __builtin_prefetch(&ahead->cgroup_memory_current_bytes);
      __builtin_prefetch(&ahead->http_p99_seconds);
    }
    const NodeFacts& f = model.nodes[u];
    if (!f.has_snapshot) continue;
    // Figures near no threshold (most nodes, most ticks) give none of the figure verdicts: the
    // model build checked them with the same rules (runbook_figures.h).
    if (!f.runbook_clear) {
      Disk(f, out);
      ConfigFallback(f, out);
      Memory(f, out);
      Corruption(in, f, out);
    }
    if (!f.reporting) continue;
    Peers(model, u, out);
    if (!f.runbook_clear) ApiErrors(f, out);
  }
}

}  // namespace

extern const Detector kRunbookThresholdsDetector;
const Detector kRunbookThresholdsDetector{.name = "runbook_thresholds",
                                          .run = DetectRunbookThresholds,
                                          .kinds = kKinds,
                                          .windows = kWindows};

}  // namespace guts::collector
