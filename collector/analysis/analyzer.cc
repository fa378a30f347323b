#include "collector/analysis/analyzer.h"

#include "absl/strings/str_cat.h"

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

struct Analyzer::State {
  AnalysisConfig config;
};

Analyzer::Analyzer(AnalysisConfig config) : state_(std::make_unique<State>()) {
  state_->config = config;
}

Analyzer::~Analyzer() = default;

void Analyzer::RestoreIncidents(const std::vector<v1::Incident>&) {}

AnalysisResult Analyzer::Tick(const FleetView& view) {
  const AnalysisConfig& config = state_->config;
  AnalysisResult result;
  result.at = view.now;
  for (const NodeObservation& node : view.nodes) {
    NodeAssessment& a = result.nodes[node.node_id];
    if (!node.has_latest) {
      a.state = v1::UNKNOWN;
      a.reason = "no snapshot yet";
      continue;
    }
    absl::Duration interval = node.latest.interval_ms() > 0
                                  ? absl::Milliseconds(node.latest.interval_ms())
                                  : config.default_interval;
    absl::Duration age = view.now - node.last_received;
    for (const v1::PeerView& peer : node.latest.peers()) {
      if (absl::Milliseconds(peer.last_data_recv_age_ms()) <= config.peer_heard_within) {
        ++a.peers_heard;
      }
    }
    a.peers_expected = node.latest.validators().validators_size() > 0
                           ? node.latest.validators().validators_size() - 1
                           : a.peers_heard;
    if (age > 3 * interval) {
      a.state = v1::DOWN;
      a.reason = absl::StrCat("no snapshot for ", absl::FormatDuration(age));
    } else {
      a.state = v1::HEALTHY;
    }
    result.max_height =
        std::max<uint64_t>(result.max_height, node.latest.consensus().finalized_height());
  }
  return result;
}

}  // namespace guts::collector
