#include "agent/sources/registry.h"

#include "agent/known_validators.h"
#include "agent/sources/node_api_source.h"
#include "agent/sources/system_source.h"

namespace guts::agent {

std::vector<std::unique_ptr<Source>> BuildSources(const AgentConfig& config) {
  auto validators = std::make_shared<KnownValidators>();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<SystemSource>(SystemSourceOptions{
      .data_dir = config.node_data_dir, .node_process_name = config.node_process_name}));
  sources.push_back(std::make_unique<NodeApiSource>(config.node_api, validators));
  return sources;
}

}  // namespace guts::agent
