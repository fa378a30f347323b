// Peer graph tables: partitions (components, cuts, bridges, one-way links) and the matrix.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/natural_order.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& names) {
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end(), NaturalLess);
  return absl::StrJoin(sorted, " ");
}

// Validators without an agent carry a '*' wherever they are listed.
std::string Marked(const google::protobuf::RepeatedPtrField<std::string>& names,
                   const std::set<std::string>& unobserved) {
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end(), NaturalLess);
  for (std::string& name : sorted) {
    if (unobserved.count(name)) name += "*";
  }
  return absl::StrJoin(sorted, " ");
}

std::string Section(absl::string_view title, const Style& style) {
  return absl::StrCat(Paint(title, Tone::kBold, style), "\n");
}

// Cut edges grouped by their first node. Between components a cut edge is a lost link
// ("v1 -x- v5 v6 v7"); inside one it is a working link that is the only path ("v3 === v5").
std::string CutEdges(const v1::Topology& topology, const Style& style) {
  std::map<std::string, int> component_of;
  for (int c = 0; c < topology.components_size(); ++c) {
    for (const std::string& node : topology.components(c).nodes()) component_of[node] = c;
  }
  std::map<std::string, int> bridged_group_of;
  for (int g = 0; g < topology.bridged_groups_size(); ++g) {
    for (const std::string& node : topology.bridged_groups(g).nodes()) bridged_group_of[node] = g;
  }
  auto apart = [](const std::map<std::string, int>& of, const v1::Link& link) {
    auto a = of.find(link.from()), b = of.find(link.to());
    return a != of.end() && b != of.end() && a->second != b->second;
  };
  auto across = [&](const v1::Link& link) {
    auto a = component_of.find(link.from()), b = component_of.find(link.to());
    return a == component_of.end() || b == component_of.end() || a->second != b->second ||
           apart(bridged_group_of, link);
  };
  std::map<std::string, std::vector<std::string>, decltype(&NaturalLess)> lost(NaturalLess);
  std::vector<std::string> only_paths;
  for (const v1::Link& link : topology.cut_edges()) {
    if (across(link)) {
      lost[link.from()].push_back(link.to());
    } else {
      only_paths.push_back(absl::StrCat("  ", link.from(), " ", Paint("===", Tone::kWarn, style),
                                        " ", link.to(),
                                        "  (works, but is the only path: losing it splits the "
                                        "component)\n"));
    }
  }
  std::string out = Section(absl::StrCat("CUT EDGES (", topology.cut_edges_size(), ")"), style);
  if (topology.cut_edges().empty()) return out + "  none\n";
  for (auto& [from, tos] : lost) {
    std::sort(tos.begin(), tos.end(), NaturalLess);
    absl::StrAppend(&out, "  ", from, " ", Paint("-x-", Tone::kBad, style), " ",
                    absl::StrJoin(tos, " "), "\n");
  }
  for (const std::string& line : only_paths) absl::StrAppend(&out, line);
  return out;
}

}  // namespace

std::string RenderPartitionsTable(const v1::Topology& topology, const Style& style) {
  bool split = topology.components_size() > 1;
  bool any_quorum = false;
  for (const v1::NodeGroup& group : topology.components()) any_quorum |= group.has_quorum();
  std::string verdict;
  if (topology.components_size() == 0) {
    verdict = Paint("no data: no node has reported fresh peer data", Tone::kWarn, style);
  } else if (!split && topology.bridged_groups_size() > 1) {
    verdict = Paint(absl::StrCat("PARTIAL PARTITION: ", topology.bridged_groups_size(),
                                 " groups linked only through ", Joined(topology.bridges())),
                    Tone::kWarn, style);
  } else if (!split) {
    verdict = Paint("connected: one component", Tone::kGood, style);
  } else if (any_quorum) {
    verdict = Paint(absl::StrCat("SPLIT into ", topology.components_size(),
                                 " components; one side holds the quorum"),
                    Tone::kWarn, style);
  } else {
    verdict = Paint(absl::StrCat("SPLIT into ", topology.components_size(),
                                 " components; NO side holds the quorum: the chain is halted"),
                    Tone::kCritical, style);
  }
  const std::set<std::string> unobserved(topology.unobserved().begin(),
                                         topology.unobserved().end());
  std::string out = topology.mode() == v1::CONSENSUS_MODE_SIMPLEX
                        ? absl::StrCat(verdict, "\n", "Simplex: ", topology.total_weight(),
                                       " votes, quorum needs ", topology.quorum_weight(), " of ",
                                       topology.total_weight(), " votes")
                        : absl::StrCat(verdict, "\n", "total weight ", topology.total_weight(),
                                       ", quorum needs ", topology.quorum_weight());
  if (!topology.validator_source().empty()) {
    absl::StrAppend(&out, " (validators from ", topology.validator_source(), ")");
  }
  absl::StrAppend(&out, "\n");
  if (!unobserved.empty()) {
    absl::StrAppend(&out, "* no agent (unobserved): placed by the observed nodes' sockets; ",
                    "gutsctl fleet status says who hears each\n");
  }
  absl::StrAppend(&out, "\n");

  absl::StrAppend(&out, Section("COMPONENTS", style));
  TextTable components({"#", "NODES", "WEIGHT", "QUORUM", "HEIGHT"});
  components.AlignRight(2);
  components.AlignRight(4);
  int index = 0;
  for (const v1::NodeGroup& group : topology.components()) {
    components.AddRow(
        {absl::StrCat(++index), Marked(group.nodes(), unobserved), absl::StrCat(group.weight()),
         group.has_quorum() ? Paint("yes", Tone::kGood, style) : Paint("no", Tone::kBad, style),
         absl::StrCat(group.height())});
  }
  absl::StrAppend(&out, components.Render(style), "\n");
  if (!topology.bridged_groups().empty()) {
    absl::StrAppend(&out, Section("GROUPS LINKED ONLY THROUGH A BRIDGE", style));
    TextTable groups({"#", "NODES", "WEIGHT", "QUORUM", "HEIGHT"});
    groups.AlignRight(2);
    groups.AlignRight(4);
    int g = 0;
    for (const v1::NodeGroup& group : topology.bridged_groups()) {
      groups.AddRow(
          {absl::StrCat(++g), Joined(group.nodes()), absl::StrCat(group.weight()),
           group.has_quorum() ? Paint("yes", Tone::kGood, style) : Paint("no", Tone::kBad, style),
           absl::StrCat(group.height())});
    }
    absl::StrAppend(&out, groups.Render(style),
                    "  bridge: ", Paint(Joined(topology.bridges()), Tone::kWarn, style), "\n\n");
  }
  absl::StrAppend(&out, CutEdges(topology, style), "\n");

  absl::StrAppend(&out, Section(absl::StrCat("BRIDGES (", topology.bridges_size(), ")"), style));
  if (topology.bridges().empty()) {
    absl::StrAppend(&out, "  none\n");
  } else {
    absl::StrAppend(&out, "  ", Paint(Joined(topology.bridges()), Tone::kWarn, style),
                    "  (losing such a node splits its component)\n");
  }
  absl::StrAppend(
      &out, "\n",
      Section(absl::StrCat("ONE-WAY LINKS (", topology.one_way_links_size(), ")"), style));
  if (topology.one_way_links().empty()) absl::StrAppend(&out, "  none\n");
  for (const v1::Link& link : topology.one_way_links()) {
    absl::StrAppend(&out, "  ", link.from(), " ", Paint("->", Tone::kBad, style), " ", link.to(),
                    "  lost: ", link.to(), " does not hear ", link.from(), " (", link.from(),
                    " still hears ", link.to(), ")\n");
  }
  if (!topology.silent_nodes().empty()) {
    absl::StrAppend(&out, "\n", Section("SILENT (no fresh data, left out of the graph)", style),
                    "  ", Paint(Joined(topology.silent_nodes()), Tone::kDim, style), "\n");
  }
  return out;
}

std::string RenderMatrixTable(const v1::Topology& topology, const Style& style) {
  std::vector<std::string> nodes(topology.nodes().begin(), topology.nodes().end());
  std::set<std::string> known(nodes.begin(), nodes.end());
  for (const v1::MatrixCell& cell : topology.matrix()) {
    for (const std::string& name : {cell.from(), cell.to()}) {
      if (known.insert(name).second) nodes.push_back(name);
    }
  }
  std::sort(nodes.begin(), nodes.end(), NaturalLess);
  std::map<std::pair<std::string, std::string>, const v1::MatrixCell*> cells;
  for (const v1::MatrixCell& cell : topology.matrix()) cells[{cell.from(), cell.to()}] = &cell;

  const std::set<std::string> unobserved(topology.unobserved().begin(),
                                         topology.unobserved().end());
  std::vector<std::string> header = {"HEARS"};
  for (const std::string& node : nodes) {
    header.push_back(unobserved.count(node) ? node + "*" : node);
  }
  TextTable table(header);
  for (size_t c = 1; c < header.size(); ++c) table.AlignRight(c);
  for (const std::string& from : nodes) {
    std::vector<std::string> row = {unobserved.count(from) ? from + "*" : from};
    for (const std::string& to : nodes) {
      if (from == to) {
        row.push_back(Paint("·", Tone::kDim, style));
        continue;
      }
      auto it = cells.find({from, to});
      if (it == cells.end()) {
        row.push_back(Paint("?", Tone::kDim, style));
        continue;
      }
      const v1::MatrixCell& cell = *it->second;
      std::string age =
          cell.last_heard_age_ms() < 0 ? "never" : FormatAgeMs(cell.last_heard_age_ms());
      if (cell.heard()) {
        row.push_back(age);
      } else {
        // A mark as well as the colour, so that piped and --no-color output still shows it.
        row.push_back(Paint(absl::StrCat(cell.reachable() ? "! " : "x ", age), Tone::kBad, style));
      }
    }
    table.AddRow(std::move(row));
  }
  return absl::StrCat(
      table.Render(style),
      "Each cell: how long ago the row's node last heard the column's node.\n"
      "\"!\": not heard recently; \"x\": not heard, and the row's node cannot even connect to "
      "the column's P2P port.\n",
      unobserved.empty()
          ? ""
          : "\"*\": no agent (unobserved): its row is unknown (\"?\"), its column is what the "
            "observed nodes' sockets show.\n");
}

}  // namespace guts::ctl
