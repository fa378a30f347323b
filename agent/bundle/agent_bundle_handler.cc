#include "agent/bundle/agent_bundle_handler.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/bundle/bundle_command_handler.h"
#include "common/tls.h"
#include "guts/diag/v1/snapshot.pb.h"
#include "spdlog/spdlog.h"

namespace guts::bundle {

std::shared_ptr<guts::agent::CommandHandler> MakeAgentBundleHandler(
    const guts::agent::AgentConfig& config, guts::agent::Agent* agent) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ClientCredentials(config.tls);
  if (!creds.ok()) {
    spdlog::error("bundles disabled: {}", std::string(creds.status().message()));
    return nullptr;
  }
  BundleAgentOptions opts;
  opts.node.node_id = config.node_id;
  opts.node.api_url = config.node_api;
  opts.node.log_file = config.node_log_file;
  opts.node.journal_unit = config.journal_unit;
  opts.node.data_dir = config.node_data_dir;
  opts.node.p2p_addr = config.node_p2p_addr;
  opts.node.process_name = config.node_process_name;
  // The node's config file as the node_config source reads it (redacted in the bundle).
  if (!config.node_config.empty() &&
      std::find(opts.node.config_paths.begin(), opts.node.config_paths.end(), config.node_config) ==
          opts.node.config_paths.end()) {
    opts.node.config_paths.push_back(config.node_config);
  }
  opts.work_dir = config.state_dir + "/bundles";
  // One upload stub per collector: a bundle goes back to the collector that asked for it; the
  // first collector of the list takes the rest.
  for (const std::string& collector : guts::agent::CollectorList(config)) {
    std::shared_ptr<guts::diag::v1::AgentService::StubInterface> stub =
        guts::diag::v1::AgentService::NewStub(grpc::CreateChannel(collector, *creds));
    if (opts.stub == nullptr) opts.stub = stub;
    opts.stub_by_collector[collector] = std::move(stub);
  }
  const std::string config_text = absl::StrCat(
      "collector: ", absl::StrJoin(guts::agent::CollectorList(config), ","),
      "\nnode_id: ", config.node_id, "\nnode_api: ", config.node_api,
      "\nnode_p2p_addr: ", config.node_p2p_addr, "\nnode_data_dir: ", config.node_data_dir,
      "\nnode_log_file: ", config.node_log_file, "\njournal_unit: ", config.journal_unit,
      "\nstate_dir: ", config.state_dir, "\ninterval: ", absl::FormatDuration(config.interval),
      "\nrole: ", config.role, "\nspool_max_bytes: ", config.spool_max_bytes,
      "\ninsecure: ", config.tls.insecure ? "true" : "false", "\ntls_cert: ", config.tls.cert_file,
      "\n");
  opts.node.agent_state = [agent, config_text] {
    AgentState s;
    s.config_text = config_text;
    guts::agent::Spool& spool = agent->spool();
    s.spool_snapshots = spool.depth();
    s.spool_bytes = spool.bytes();
    s.spool_dropped = spool.total_dropped();
    s.last_acked_seq = spool.last_acked();
    s.next_seq = spool.NextSeq();
    s.connected = agent->connected();
    s.metrics_text = agent->metrics().Serialize();
    for (const std::string& bytes : agent->RecentSnapshots()) {
      guts::diag::v1::Snapshot snap;
      std::string json;
      if (snap.ParseFromString(bytes) &&
          google::protobuf::util::MessageToJsonString(snap, &json).ok()) {
        s.recent_snapshots_json.push_back(std::move(json));
      }
    }
    return s;
  };
  return std::make_shared<BundleCommandHandler>(std::move(opts));
}

}  // namespace guts::bundle
