#include "ctl/commands/node.h"

#include <algorithm>
#include <ostream>

#include "ctl/render/json.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

struct NodeFlags {
  std::string node_id;
  std::string since = "30m";
  size_t width = 60;
};

absl::StatusOr<int> Show(Session& session, const std::string& node_id) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::NodeDetail> detail = (*client)->Node(node_id);
  if (!detail.ok()) return detail.status();
  session.out() << (session.json() ? RenderJson(*detail)
                                   : RenderNodeDetailTable(*detail, absl::Now(), session.style()));
  return kExitOk;
}

absl::StatusOr<int> History(Session& session, const NodeFlags& flags) {
  absl::StatusOr<absl::Duration> since = ParseFlagDuration("--since", flags.since);
  if (!since.ok()) return since.status();
  if (flags.width < 10) return UsageError("--width: at least 10 characters");
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::Time now = absl::Now();
  v1::NodeHistoryRequest request;
  request.set_node_id(flags.node_id);
  request.set_from_unix_ms(absl::ToUnixMillis(now - *since));
  // One point per character is all a sparkline can show; JSON gets every snapshot up to a
  // bound the collector sets.
  if (!session.json()) {
    request.set_step_ms(std::max<int64_t>(
        1, absl::ToInt64Milliseconds(*since) / static_cast<int64_t>(flags.width)));
  }
  absl::StatusOr<std::vector<v1::HistoryPoint>> points = (*client)->History(request);
  if (!points.ok()) return points.status();
  session.out() << (session.json() ? RenderHistoryJson(flags.node_id, *points)
                                   : RenderNodeHistoryTable(flags.node_id, *points, flags.width,
                                                            session.style()));
  return kExitOk;
}

}  // namespace

void AddNodeCommands(CLI::App& root, CommandRun& selected) {
  CLI::App* node = root.add_subcommand("node", "One node in detail");
  node->require_subcommand(1);
  auto flags = std::make_shared<NodeFlags>();

  CLI::App* show = node->add_subcommand(
      "show", "State, consensus, system figures, P2P sessions and probes, recent errors");
  show->add_option("node", flags->node_id, "Node name (gutsctl fleet status lists them)")
      ->required();
  show->footer(
      "Examples:\n"
      "  gutsctl node show v3\n"
      "  gutsctl node show v3 -o json | jq '.latest.peers'");
  show->callback([flags, &selected] {
    selected = [flags](Session& session) { return Show(session, flags->node_id); };
  });

  CLI::App* history = node->add_subcommand(
      "history", "Height, view, peers, CPU and memory over time, as sparklines");
  history->add_option("node", flags->node_id, "Node name")->required();
  history->add_option("--since", flags->since, "How far back (e.g. 10m, 2h)")
      ->capture_default_str();
  history->add_option("--width", flags->width, "Characters per sparkline")->capture_default_str();
  history->footer(
      "Examples:\n"
      "  gutsctl node history v3 --since 30m\n"
      "  gutsctl node history v3 --since 2h -o json | jq '.points[-1]'");
  history->callback([flags, &selected] {
    selected = [flags](Session& session) { return History(session, *flags); };
  });
}

}  // namespace guts::ctl
