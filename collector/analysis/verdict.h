// Verdict: one detector's conclusion in one tick, before hysteresis. The incident manager turns
// verdicts that hold into incidents; `cause_key` is the identity that dedupes them across ticks.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "guts/diag/v1/incident.pb.h"

namespace guts::collector {

// What a verdict naming thousands of nodes (a split) named them from, as a plain value: the
// model's index epoch (FleetModel::index_epoch), each group's members as indices into that model
// and the names of its validators without an agent, and the group its `nodes` list begins at.
// Within one index epoch an index holds the same node (the same id), so two verdicts of equal
// keys name the same nodes, in `nodes` and in each group: what keeps a verdict's names between
// ticks (CauseMemory, IncidentTracker) compares the keys, integers, before 10 000 names.
struct MembersKey {
  uint64_t index_epoch = 0;
  int first_named = 0;                               // `nodes` lists groups[first_named...]
  std::vector<std::vector<int>> sides;               // by group: its members' model indices
  std::vector<std::vector<std::string>> unobserved;  // by group: its agentless validators
  bool operator==(const MembersKey&) const = default;
};

// A verdict's names by model index (VerdictMembers), set with the names by their maker.
struct VerdictMembers {
  MembersKey key;
  // `nodes` as indices into the tick's FleetModel::nodes (-1: a validator without an agent) and,
  // for each, the index in `groups` of its side: AssessNodes reads these instead of finding
  // 10 000 names among the assessments and the groups' names.
  std::vector<int> node_indices;
  std::vector<int> node_groups;
  // The sizes of `nodes` and of each group's names these were made for: a verdict whose names
  // are changed afterwards (to other sizes) has no members (Verdict::Members).
  size_t names = 0;
  std::vector<int> group_sizes;
};

// Detectors build verdicts with MakeVerdict (detector.h), which fills kind, kind_name, severity
// and cause_key from the kind's spec.
struct Verdict {
  // The wire value; INCIDENT_KIND_UNSPECIFIED for a kind declared without one.
  guts::diag::v1::IncidentKind kind = guts::diag::v1::INCIDENT_KIND_UNSPECIFIED;
  // The kind's name (IncidentKindSpec::name, static storage); empty in hand-built verdicts,
  // which KindNameOf then names after `kind`.
  std::string_view kind_name;
  guts::diag::v1::Severity severity = guts::diag::v1::P3;
  // Kind plus what it names, e.g. "NODE_DOWN:v4"; equal keys in successive ticks are one cause.
  std::string cause_key;
  std::string summary;
  std::vector<std::string> nodes;  // sorted
  std::vector<guts::diag::v1::Link> links;
  std::vector<guts::diag::v1::NodeGroup> groups;
  std::map<std::string, std::string> evidence;
  uint64_t height = 0;
  // Ticks the cause must hold before it opens (IncidentKindSpec::enter_ticks); 0: the config's.
  // The analyzer resets it to 0 when the tick's evidence cannot be trusted that fast.
  int enter_ticks = 0;
  // Cause keys of symptoms folded under this verdict.
  std::vector<std::string> absorbed;
  // LOW_PEERS: the up peers the node does not hear (at most a few dozen) and how many more it
  // would need. A cause that silences enough of these peers explains the shortfall.
  // Views of the tick's node ids (FleetModel's, in the FleetView), valid while that view lives:
  // read only within the tick, by the folding. Copies of the names were 2 KB a verdict, 20 MB
  // of the tick at 10 000 nodes all hearing too few peers.
  std::vector<std::string_view> unheard_peers;
  int peer_shortfall = 0;

  // Its names by model index and their key, when its maker set them (SetMembers) and the names
  // still have the sizes they had then; null otherwise (compare the names).
  const VerdictMembers* Members() const {
    if (members == nullptr || members->key.index_epoch == 0 || members->names != nodes.size() ||
        members->group_sizes.size() != groups.size()) {
      return nullptr;
    }
    for (size_t k = 0; k < groups.size(); ++k) {
      if (members->group_sizes[k] != groups[k].nodes_size()) return nullptr;
    }
    return members.get();
  }
  // After `nodes` and `groups` are set: `m` (its sizes taken from them) names them. Whoever
  // changes the names afterwards calls ClearMembers (a change of size clears them anyway).
  void SetMembers(VerdictMembers m) {
    m.names = nodes.size();
    m.group_sizes.clear();
    for (const guts::diag::v1::NodeGroup& g : groups) m.group_sizes.push_back(g.nodes_size());
    members = std::make_shared<const VerdictMembers>(std::move(m));
  }
  void ClearMembers() { members.reset(); }

 private:
  // Shared, never changed once set (copies of a verdict name the same members): only split
  // verdicts have members, and held inline they made every verdict 144 bytes larger, 20 000
  // verdicts a tick at 10 000 nodes all cut off.
  std::shared_ptr<const VerdictMembers> members;
};

// The verdict's kind name: `kind_name`, or the wire value's name when that is empty.
inline std::string_view KindNameOf(const Verdict& v) {
  return v.kind_name.empty() ? std::string_view(guts::diag::v1::IncidentKind_Name(v.kind))
                             : v.kind_name;
}

}  // namespace guts::collector
