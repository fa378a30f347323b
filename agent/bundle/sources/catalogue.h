// The list of bundle sources: data, not a switch statement.
//
// DefaultBundleSources() is every source a bundle holds, in manifest order. Each family lives
// in its own file (node_api.cc, node_log.cc, ...) and contributes its sources here; adding a
// source means writing its file and adding one line to DefaultBundleSources().
//
// Example:
//   std::vector<BundleSource> sources = DefaultBundleSources();
//   sources = SelectSources(sources, {"node_api", "system"});  // a BundleRequest's `sources`
#ifndef GUTS_AGENT_BUNDLE_SOURCES_CATALOGUE_H_
#define GUTS_AGENT_BUNDLE_SOURCES_CATALOGUE_H_

#include <string>
#include <vector>

#include "agent/bundle/bundle_source.h"

namespace guts::bundle {

std::vector<BundleSource> DefaultBundleSources();

// The sources whose name equals or starts with "<selector>." for one of `selectors`; all of
// them when `selectors` is empty.
std::vector<BundleSource> SelectSources(const std::vector<BundleSource>& sources,
                                        const std::vector<std::string>& selectors);

// Families (one file each).
std::vector<BundleSource> NodeApiSources();  // node_api.*: /health*, /api/consensus/*, /metrics
BundleSource NodeLogSource();                // node_log: file tail or journal in the window
BundleSource NodeConfigSource();             // node_config: the node's config files
std::vector<BundleSource> SystemSources();   // system.facts, system.cgroup
BundleSource NodeProcessSource();            // node_process
std::vector<BundleSource> NetworkSources();  // network.proc_net_tcp, network.ss
BundleSource DataDirSource();                // data_dir: names and sizes only
std::vector<BundleSource> AgentSources();    // agent.state, agent.snapshots

// The node's pid: `node.node_pid` when set, else agent::FindNodePid under node.proc_root; 0 if
// none.
int NodePid(const NodeTarget& node);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_SOURCES_CATALOGUE_H_
