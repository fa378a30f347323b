#include "ctl/commands/net.h"

#include <fstream>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "ctl/graphviz.h"
#include "ctl/render/dot.h"
#include "ctl/render/json.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

struct GraphFlags {
  std::string format = "dot";
  std::string file;
};

absl::StatusOr<v1::Topology> FetchTopology(Session& session) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  return (*client)->Topology();
}

absl::StatusOr<int> Partitions(Session& session) {
  absl::StatusOr<v1::Topology> topology = FetchTopology(session);
  if (!topology.ok()) return topology.status();
  session.out() << (session.json() ? RenderJson(*topology)
                                   : RenderPartitionsTable(*topology, session.style()));
  return kExitOk;
}

absl::StatusOr<int> Matrix(Session& session) {
  absl::StatusOr<v1::Topology> topology = FetchTopology(session);
  if (!topology.ok()) return topology.status();
  session.out() << (session.json() ? RenderJson(*topology)
                                   : RenderMatrixTable(*topology, session.style()));
  return kExitOk;
}

absl::StatusOr<int> Graph(Session& session, const GraphFlags& flags) {
  if (flags.format != "dot" && flags.file.empty() && session.terminal()) {
    return UsageError(
        absl::StrCat("-o ", flags.format, " is binary or long: give --file F or redirect stdout"));
  }
  absl::StatusOr<v1::Topology> topology = FetchTopology(session);
  if (!topology.ok()) return topology.status();
  std::string dot = RenderDot(*topology);
  std::string bytes = dot;
  if (flags.format != "dot") {
    absl::StatusOr<std::string> drawn = RunGraphviz(dot, flags.format);
    if (!drawn.ok()) return drawn.status();
    bytes = *std::move(drawn);
  }
  if (flags.file.empty()) {
    session.out() << bytes;
    return kExitOk;
  }
  std::ofstream out(flags.file, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", flags.file));
  session.err() << "wrote " << flags.file << " (" << FormatBytes(bytes.size()) << ")\n";
  return kExitOk;
}

}  // namespace

void AddNetCommands(CLI::App& root, CommandRun& selected) {
  CLI::App* net = root.add_subcommand("net", "The peer graph: who hears whom, splits, cuts");
  net->require_subcommand(1);

  CLI::App* partitions = net->add_subcommand(
      "partitions",
      "Components with their weight and whether they hold the quorum, cut edges, bridges, "
      "one-way links");
  partitions->footer(
      "Examples:\n"
      "  gutsctl net partitions\n"
      "  gutsctl net partitions -o json | jq '.components[] | {nodes, has_quorum}'");
  partitions->callback([&selected] { selected = Partitions; });

  CLI::App* matrix = net->add_subcommand(
      "matrix", "Who hears whom: each cell is how long ago the row's node heard the column's");
  matrix->footer(
      "Examples:\n"
      "  gutsctl net matrix\n"
      "  gutsctl net matrix -o json | jq '.matrix[] | select(.heard | not)'");
  matrix->callback([&selected] { selected = Matrix; });

  auto flags = std::make_shared<GraphFlags>();
  CLI::App* graph = net->add_subcommand(
      "graph",
      "The peer graph as a picture: components as clusters, cut edges dashed red, one-way "
      "links as red arrows. svg and png need Graphviz's dot.");
  graph->add_option("-o,--format", flags->format, "dot (text), svg or png")
      ->check(CLI::IsMember({"dot", "svg", "png"}))
      ->capture_default_str();
  graph->add_option("--file", flags->file, "Write here instead of stdout");
  graph->footer(
      "Examples:\n"
      "  gutsctl net graph                          # dot text\n"
      "  gutsctl net graph -o png --file fleet.png\n"
      "  gutsctl net graph -o svg > fleet.svg");
  graph->callback([flags, &selected] {
    selected = [flags](Session& session) { return Graph(session, *flags); };
  });
}

}  // namespace guts::ctl
