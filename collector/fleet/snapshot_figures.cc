#include "collector/fleet/snapshot_figures.h"

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

std::vector<std::string> ParticipantKeys(const v1::Snapshot& snapshot) {
  std::vector<std::string> keys;
  for (const v1::Participant& p : snapshot.config().participants()) {
    if (!p.public_key().empty()) keys.push_back(absl::AsciiStrToLower(p.public_key()));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

uint64_t ParticipantsHash(const std::vector<std::string>& sorted_keys) {
  // FNV-1a over the sorted keys, each ended by a separator: equal sets, equal hashes.
  uint64_t h = 1469598103934665603ULL;
  for (const std::string& key : sorted_keys) {
    for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    h = (h ^ 0xffU) * 1099511628211ULL;
  }
  return h;
}

SnapshotFigures SnapshotFiguresOf(const v1::Snapshot& snapshot) {
  SnapshotFigures f;
  f.valid = true;
  f.seq = snapshot.seq();
  f.interval_ms = snapshot.interval_ms();
  for (const v1::SourceError& e : snapshot.source_errors()) {
    if (e.source() == "p2p_sockets") f.peer_source_failed = true;
  }
  const v1::ConsensusView& consensus = snapshot.consensus();
  f.finalized_height = consensus.finalized_height();
  f.height_known = consensus.height_source() != v1::HEIGHT_SOURCE_UNSPECIFIED ||
                   consensus.finalized_height() > 0;
  f.view = consensus.view();
  const v1::LogFacts& log = snapshot.log();
  if (!consensus.last_block_id().empty() || log.finalized_block_id().empty()) {
    f.block_id = consensus.last_block_id();
    f.block_height = consensus.finalized_height();
  } else {
    f.block_id = log.finalized_block_id();
    f.block_height = log.finalized_height();
  }
  f.api_reachable = snapshot.health().reachable();
  f.uptime_seconds = snapshot.health().uptime_seconds();
  f.config_fallback = log.config_fallback();
  f.corruption_lines = log.corruption_lines();
  const v1::SystemFacts& system = snapshot.system();
  f.node_restarts = system.node_restarts();
  f.disk_total_bytes = system.disk_total_bytes();
  f.disk_available_bytes = system.disk_available_bytes();
  f.cgroup_memory_max_bytes = system.cgroup_memory_max_bytes();
  f.cgroup_memory_current_bytes = system.cgroup_memory_current_bytes();
  f.node_rss_bytes = system.node_rss_bytes();
  f.http_5xx_ratio = snapshot.metrics().http_5xx_ratio();
  f.http_p99_seconds = snapshot.metrics().http_p99_seconds();
  f.validators = snapshot.validators().validators_size();
  f.validators_epoch = snapshot.validators().epoch();
  const v1::NodeConfig& config = snapshot.config();
  f.mode = consensus.mode();
  if (f.mode == v1::CONSENSUS_MODE_UNSPECIFIED &&
      (config.use_simplex_bft() || log.simplex_started())) {
    f.mode = v1::CONSENSUS_MODE_SIMPLEX;
  }
  f.proposed_view = std::max(consensus.proposed_view(), log.proposed_view());
  f.engine_failed = consensus.engine_failed() || log.engine_failed();
  f.public_key = !config.public_key().empty() ? config.public_key() : log.public_key();
  f.public_key_hash = std::hash<std::string_view>{}(f.public_key);
  if (config.participants_size() > 0) {
    std::vector<std::string> keys = ParticipantKeys(snapshot);
    f.participants = static_cast<int>(keys.size());
    f.participants_hash = ParticipantsHash(keys);
  }
  // Simplex leaves the API's view at 0: the proposed rounds are the view there.
  if (f.view == 0) f.view = f.proposed_view;
  return f;
}

SnapshotFigures SnapshotFiguresOf(std::shared_ptr<const v1::Snapshot> snapshot) {
  SnapshotFigures f = SnapshotFiguresOf(*snapshot);
  f.source = std::move(snapshot);
  return f;
}

bool FiguresCurrent(const NodeObservation& obs) {
  return obs.latest_figures.valid && obs.latest != nullptr &&
         obs.latest_figures.source == obs.latest;
}

}  // namespace guts::collector
