#include "ctl/replicas.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/host_port.h"

namespace guts::ctl {
namespace {

// Members of `mine` that are missing from at least one other answering replica.
std::vector<std::string> OnlySome(const std::vector<ReplicaView>& views,
                                  std::set<std::string> ReplicaView::*field, size_t index) {
  std::vector<std::string> out;
  for (const std::string& item : views[index].*field) {
    for (size_t j = 0; j < views.size(); ++j) {
      if (j == index || !views[j].status.ok()) continue;
      if (!(views[j].*field).contains(item)) {
        out.push_back(item);
        break;
      }
    }
  }
  return out;
}

std::string Names(const std::vector<std::string>& names) {
  constexpr size_t kShown = 12;
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + static_cast<long>(std::min(names.size(), kShown)));
  std::string text = absl::StrJoin(shown, " ");
  if (names.size() > kShown) absl::StrAppend(&text, " (+", names.size() - kShown, " more)");
  return text;
}

}  // namespace

bool HearsNode(const v1::NodeStatus& node) {
  return node.connected() && node.state() != v1::UNREACHABLE && node.state() != v1::DOWN;
}

absl::StatusOr<std::vector<std::string>> ParseCollectorList(const std::string& flag) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(flag, ',', absl::SkipWhitespace())) {
    std::string address(absl::StripAsciiWhitespace(part));
    absl::StatusOr<HostPort> parsed = ParseHostPort(address);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--collector: ", parsed.status().message()));
    }
    if (parsed->port == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--collector: '", address, "' has port 0"));
    }
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  if (out.empty()) return absl::InvalidArgumentError("--collector: no collector address given");
  return out;
}

std::vector<ReplicaView> AskEveryCollector(const ClientOptions& options,
                                           const std::vector<std::string>& collectors) {
  std::vector<ReplicaView> views;
  for (const std::string& collector : collectors) {
    ReplicaView& view = views.emplace_back();
    view.collector = collector;
    ClientOptions one = options;
    one.collector = collector;
    absl::StatusOr<std::unique_ptr<FleetClient>> client = FleetClient::Connect(one);
    view.status =
        client.ok() ? (*client)->FleetStatus() : absl::StatusOr<v1::FleetStatus>(client.status());
    if (!view.status.ok()) continue;
    for (const v1::NodeStatus& node : view.status->nodes()) {
      if (HearsNode(node)) view.heard.insert(node.node_id());
    }
    for (const v1::Incident& incident : view.status->open_incidents()) {
      view.open_causes.insert(incident.cause_key().empty() ? incident.id() : incident.cause_key());
    }
  }
  return views;
}

std::string ReplicaSplitWarning(const std::vector<ReplicaView>& views) {
  size_t answered = 0;
  for (const ReplicaView& view : views) answered += view.status.ok();
  if (answered < 2) return "";
  std::string out;
  bool heard_differs = false;
  for (size_t i = 0; i < views.size(); ++i) {
    if (!views[i].status.ok()) continue;
    std::vector<std::string> only = OnlySome(views, &ReplicaView::heard, i);
    if (!only.empty()) heard_differs = true;
  }
  if (heard_differs) {
    absl::StrAppend(&out,
                    "replicas hear different parts of the fleet (a cut may run between them):\n");
    for (const ReplicaView& view : views) {
      if (!view.status.ok()) continue;
      std::vector<std::string> heard(view.heard.begin(), view.heard.end());
      absl::StrAppend(&out, "  ", view.collector, " hears ", heard.size(), ": ", Names(heard),
                      "\n");
    }
  }
  for (size_t i = 0; i < views.size(); ++i) {
    if (!views[i].status.ok()) continue;
    std::vector<std::string> only = OnlySome(views, &ReplicaView::open_causes, i);
    if (only.empty()) continue;
    absl::StrAppend(&out, "  open only on ", views[i].collector,
                    " (not on every replica): ", Names(only), "\n");
  }
  return out;
}

std::string RenderReplicaComparison(const std::vector<ReplicaView>& views, const Style& style) {
  std::string out = absl::StrCat(Paint("COLLECTOR REPLICAS", Tone::kDim, style), "\n");
  for (const ReplicaView& view : views) {
    if (!view.status.ok()) {
      absl::StrAppend(
          &out, "  ", view.collector, "  ",
          Paint(absl::StrCat("unreachable: ", view.status.status().message()), Tone::kBad, style),
          "\n");
      continue;
    }
    std::vector<std::string> heard(view.heard.begin(), view.heard.end());
    std::vector<std::string> causes(view.open_causes.begin(), view.open_causes.end());
    absl::StrAppend(&out, "  ", view.collector, "  hears ", heard.size(), " of ",
                    view.status->nodes_size(), " nodes: ", Names(heard), "\n");
    absl::StrAppend(&out, "  ", std::string(view.collector.size(), ' '), "  open incidents ",
                    causes.size(), causes.empty() ? "" : ": ", Names(causes), "\n");
  }
  std::string split = ReplicaSplitWarning(views);
  if (split.empty()) {
    absl::StrAppend(&out, "  the replicas that answered agree\n");
  } else {
    absl::StrAppend(&out, Paint(split, Tone::kWarn, style));
  }
  return out;
}

}  // namespace guts::ctl
