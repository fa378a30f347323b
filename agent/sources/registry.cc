#include "agent/sources/registry.h"

#include "agent/journal_tail.h"
#include "agent/known_validators.h"
#include "agent/log_file_tail.h"
#include "agent/sources/node_api_source.h"
#include "agent/sources/node_config_source.h"
#include "agent/sources/node_log_source.h"
#include "agent/sources/node_metrics_source.h"
#include "agent/sources/p2p_probe_source.h"
#include "agent/sources/p2p_sockets_source.h"
#include "agent/sources/system_source.h"

namespace guts::agent {

std::vector<std::unique_ptr<Source>> BuildSources(const AgentConfig& config) {
  // node_api learns the validator list; the p2p sources read it.
  auto validators = std::make_shared<KnownValidators>();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<SystemSource>(SystemSourceOptions{
      .data_dir = config.node_data_dir, .node_process_name = config.node_process_name}));
  sources.push_back(std::make_unique<NodeApiSource>(config.node_api, validators));
  sources.push_back(std::make_unique<NodeMetricsSource>(config.node_api));
  if (!config.node_config.empty()) {
    sources.push_back(
        std::make_unique<NodeConfigSource>(config.node_config, config.node_config_explicit));
  }
  if (!config.node_log_file.empty()) {
    sources.push_back(
        std::make_unique<NodeLogSource>(std::make_unique<LogFileTail>(config.node_log_file)));
  } else if (!config.journal_unit.empty()) {
    sources.push_back(
        std::make_unique<NodeLogSource>(std::make_unique<JournalTail>(config.journal_unit)));
  }
  sources.push_back(std::make_unique<P2pSocketsSource>(config.node_p2p_addr, validators));
  sources.push_back(std::make_unique<P2pProbeSource>(config.node_p2p_addr, validators));
  return sources;
}

}  // namespace guts::agent
