// agent.*: the agent's own state (config redacted, spool, recent errors) and the last
// snapshots it sent.
#include <nlohmann/json.hpp>

#include "agent/bundle/sources/catalogue.h"

namespace guts::bundle {

std::vector<BundleSource> AgentSources() {
  BundleSource state;
  state.name = "agent.state";
  state.entry = "agent/state.json";
  state.timeout = absl::Seconds(5);
  state.max_bytes = 1 << 20;
  state.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    if (!ctx.node.agent_state) return absl::FailedPreconditionError("agent state not provided");
    const AgentState a = ctx.node.agent_state();
    nlohmann::json j = {{"node_id", ctx.node.node_id},
                        {"connected", a.connected},
                        {"spool",
                         {{"snapshots", a.spool_snapshots},
                          {"bytes", a.spool_bytes},
                          {"dropped", a.spool_dropped}}},
                        {"last_acked_seq", a.last_acked_seq},
                        {"next_seq", a.next_seq},
                        {"recent_errors", a.recent_errors}};
    out.Write(j.dump(2));
    // The config goes out as text (one setting per line) so that redaction sees key: value.
    out.Write("\n# agent configuration\n");
    out.Write(a.config_text);
    out.Write("\n# agent metrics\n");
    out.Write(a.metrics_text);
    return absl::OkStatus();
  };
  BundleSource snapshots;
  snapshots.name = "agent.snapshots";
  snapshots.entry = "agent/snapshots.jsonl";
  snapshots.timeout = absl::Seconds(5);
  snapshots.max_bytes = 4 << 20;
  snapshots.collect = [](const SourceContext& ctx, SourceOutput& out) -> absl::Status {
    if (!ctx.node.agent_state) return absl::FailedPreconditionError("agent state not provided");
    for (const std::string& s : ctx.node.agent_state().recent_snapshots_json) {
      if (!out.Write(s) || !out.Write("\n")) break;
    }
    return absl::OkStatus();
  };
  return {state, snapshots};
}

}  // namespace guts::bundle
