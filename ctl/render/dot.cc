#include "ctl/render/dot.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/natural_order.h"
#include "ctl/render/text.h"

namespace guts::ctl {
namespace {

namespace v1 = ::guts::diag::v1;

constexpr char kQuorumColor[] = "#2e7d32";
constexpr char kNoQuorumColor[] = "#c62828";
constexpr char kBridgeColor[] = "#ef6c00";
constexpr char kQuorumFill[] = "#e8f5e9";
constexpr char kNoQuorumFill[] = "#ffebee";

std::string Escaped(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}});
}

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", Escaped(text), "\""); }

using Pair = std::pair<std::string, std::string>;

Pair Unordered(const std::string& a, const std::string& b) {
  return NaturalLess(a, b) ? Pair{a, b} : Pair{b, a};
}

std::vector<std::string> Sorted(const google::protobuf::RepeatedPtrField<std::string>& names) {
  std::vector<std::string> out(names.begin(), names.end());
  std::sort(out.begin(), out.end(), NaturalLess);
  return out;
}

}  // namespace

std::string RenderDot(const v1::Topology& topology) {
  std::map<std::string, int> component_of;
  bool any_quorum = false;
  for (int c = 0; c < topology.components_size(); ++c) {
    for (const std::string& node : topology.components(c).nodes()) component_of[node] = c;
    any_quorum |= topology.components(c).has_quorum();
  }
  std::set<std::string> bridges(topology.bridges().begin(), topology.bridges().end());
  std::set<std::string> unobserved(topology.unobserved().begin(), topology.unobserved().end());

  std::string title;
  if (topology.components_size() <= 1) {
    title = "connected";
  } else {
    title = absl::StrCat("split into ", topology.components_size(), " components, ",
                         any_quorum ? "one holds the quorum" : "NO side holds the quorum");
  }
  std::string out = absl::StrCat(
      "digraph guts_fleet {\n"
      "  graph [fontname=\"Helvetica\", fontsize=12, labelloc=t, nodesep=0.5, ranksep=0.9,\n"
      "         label=",
      Quoted(absl::StrCat("Guts peer graph: ", title, " (quorum ", topology.quorum_weight(), " of ",
                          topology.total_weight(), ")")),
      "];\n"
      "  node [fontname=\"Helvetica\", shape=box, style=\"rounded,filled\", "
      "fillcolor=\"#ffffff\"];\n"
      "  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n");

  for (int c = 0; c < topology.components_size(); ++c) {
    const v1::NodeGroup& group = topology.components(c);
    const char* color = group.has_quorum() ? kQuorumColor : kNoQuorumColor;
    absl::StrAppend(&out, "  subgraph cluster_", c + 1, " {\n", "    label=",
                    Quoted(absl::StrCat("component ", c + 1, ": weight ", group.weight(), ", ",
                                        group.has_quorum() ? "quorum" : "no quorum", ", height ",
                                        group.height())),
                    ";\n    style=\"rounded\"; penwidth=2; color=\"", color, "\"; fontcolor=\"",
                    color, "\";\n    node [fillcolor=\"",
                    group.has_quorum() ? kQuorumFill : kNoQuorumFill, "\"];\n");
    for (const std::string& node : Sorted(group.nodes())) {
      absl::StrAppend(&out, "    ", Quoted(node));
      if (unobserved.count(node)) {
        // No agent: drawn dashed, as known only through the observed nodes' sockets.
        absl::StrAppend(&out, " [style=\"rounded,dashed\", fillcolor=\"#ffffff\", label=",
                        absl::StrCat("\"", Escaped(node), "\\n(no agent)\""), "]");
      } else if (bridges.count(node)) {
        absl::StrAppend(&out, " [fillcolor=\"#ffe0b2\", color=\"", kBridgeColor,
                        "\", penwidth=2, xlabel=\"bridge\"]");
      }
      absl::StrAppend(&out, ";\n");
    }
    absl::StrAppend(&out, "  }\n");
  }
  for (const std::string& node : Sorted(topology.silent_nodes())) {
    absl::StrAppend(&out, "  ", Quoted(node),
                    " [style=\"rounded,dashed\", color=\"#9e9e9e\", fontcolor=\"#9e9e9e\", "
                    "label=",
                    absl::StrCat("\"", Escaped(node), "\\n(silent)\""), "];\n");
  }

  std::set<Pair> heard;  // ordered: (listener, speaker)
  for (const v1::MatrixCell& cell : topology.matrix()) {
    if (cell.heard()) heard.insert({cell.from(), cell.to()});
  }
  // Links to a validator without an agent are seen from one end only: drawn dashed, one way.
  for (const auto& [listener, speaker] : heard) {
    if (!unobserved.count(speaker)) continue;
    absl::StrAppend(&out, "  ", Quoted(speaker), " -> ", Quoted(listener),
                    " [style=dashed, color=\"#9e9e9e\", xlabel=\"heard\"];\n");
  }
  std::set<Pair> cut;
  for (const v1::Link& link : topology.cut_edges()) cut.insert(Unordered(link.from(), link.to()));
  std::set<Pair> one_way;
  for (const v1::Link& link : topology.one_way_links()) {
    one_way.insert(Unordered(link.from(), link.to()));
  }

  std::set<Pair> mutual;
  for (const auto& [listener, speaker] : heard) {
    if (heard.count({speaker, listener})) mutual.insert(Unordered(listener, speaker));
  }
  for (const Pair& pair : mutual) {
    if (cut.count(pair) || one_way.count(pair)) continue;
    absl::StrAppend(&out, "  ", Quoted(pair.first), " -> ", Quoted(pair.second),
                    " [dir=none, color=\"#616161\"];\n");
  }
  for (const Pair& pair : cut) {
    auto a = component_of.find(pair.first), b = component_of.find(pair.second);
    bool across = a == component_of.end() || b == component_of.end() || a->second != b->second;
    if (across) {
      absl::StrAppend(&out, "  ", Quoted(pair.first), " -> ", Quoted(pair.second),
                      " [dir=none, style=dashed, color=\"", kNoQuorumColor,
                      "\", constraint=false];\n");
    } else {
      absl::StrAppend(&out, "  ", Quoted(pair.first), " -> ", Quoted(pair.second),
                      " [dir=none, penwidth=2.5, color=\"", kBridgeColor,
                      "\", xlabel=\"cut edge\"];\n");
    }
  }
  for (const v1::Link& link : topology.one_way_links()) {
    absl::StrAppend(&out, "  ", Quoted(link.from()), " -> ", Quoted(link.to()), " [color=\"",
                    kNoQuorumColor, "\", fontcolor=\"", kNoQuorumColor,
                    "\", penwidth=2, style=dashed, xlabel=\"one-way: lost\"];\n");
  }
  absl::StrAppend(&out, "}\n");
  return out;
}

}  // namespace guts::ctl
