// The guts-agent's bundle handler, built from the agent's own configuration.
//
// Maps AgentConfig onto a NodeTarget (node API, log file or journal unit, data dir, P2P
// address, process name), opens an AgentService channel to the collector with the agent's TLS
// settings for uploads, and reports the agent's state (spool, stream, metrics, unacknowledged
// snapshots as JSON) to the bundle's agent.* sources.
//
// Example (agent/main.cc):
//   (*agent)->SetCommandHandler(guts::bundle::MakeAgentBundleHandler(*config, agent->get()));
#ifndef GUTS_AGENT_BUNDLE_AGENT_BUNDLE_HANDLER_H_
#define GUTS_AGENT_BUNDLE_AGENT_BUNDLE_HANDLER_H_

#include <memory>

#include "agent/agent.h"
#include "agent/command_handler.h"
#include "agent/config.h"

namespace guts::bundle {

// `agent` must outlive the handler. Returns nullptr (bundles then unsupported, logged) when
// the TLS files cannot be read.
std::shared_ptr<guts::agent::CommandHandler> MakeAgentBundleHandler(
    const guts::agent::AgentConfig& config, guts::agent::Agent* agent);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_AGENT_BUNDLE_HANDLER_H_
