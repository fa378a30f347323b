// NodeAssessments: what one analysis tick concludes about each node, by name, in name order.
//
// One flat array sorted by name instead of a map: a tick assesses every node of the fleet
// (10 000 at the largest), and a map made one allocation per node to build and one more to
// free when the next tick's result replaces it. The analyzer adds the nodes in name order (a
// fleet view's nodes are sorted by id), so adding appends; a name added out of order is put in
// its place, so the order holds whoever adds.
//
// Example:
//   NodeAssessments nodes;
//   nodes.Reserve(view.nodes.size());
//   NodeAssessment& a = nodes.Add("v1");
//   if (const NodeAssessment* v2 = nodes.Find("v2")) ...
//   for (const auto& [name, assessment] : nodes) ...   // in name order
//
// Not thread-safe while being added to; safe to read from any thread once built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

// What the analysis concludes about one node, for fleet status.
struct NodeAssessment {
  guts::diag::v1::NodeState state = guts::diag::v1::UNKNOWN;
  std::string reason;
  uint64_t lag = 0;
  // From the newest validator list any node reports: known even when this node's own API is
  // down and its snapshot carries no list.
  uint64_t weight = 0;
  uint32_t peers_heard = 0;
  uint32_t peers_expected = 0;
  // The tick ran before any snapshot of the node had arrived (UNKNOWN, "no snapshot yet"). A
  // reader holding a newer snapshot of it knows more than this assessment does.
  bool before_first_snapshot = false;
};

class NodeAssessments {
 public:
  // A node's name and its assessment.
  using Entry = std::pair<std::string, NodeAssessment>;
  using const_iterator = std::vector<Entry>::const_iterator;

  // Room for `nodes` names without reallocating.
  void Reserve(size_t nodes) { entries_.reserve(nodes); }

  // No assessment left; the array keeps its room (a recycled result, Analyzer::Tick).
  void Clear() {
    entries_.clear();
    names_of_ = 0;
  }

  // A recycled result's array, made ready for a tick over the nodes of a view of
  // `identity_generation` (FleetView: the same generation, the same nodes in the same order).
  // When the array names exactly those nodes, in view order (MarkNamesOf that generation, no
  // Add since), every assessment is reset to a default one under its kept name and true is
  // returned: AtPosition(i) is then the view's node i, with no name read or copied (reading
  // 10 000 node ids scattered over the view was most of a 10 000-node tick's assessment pass).
  // Otherwise the array is cleared (as Clear) and false is returned. Generation 0 (a view
  // built by hand) keeps nothing.
  bool ResetKeepingNamesOf(uint64_t identity_generation, size_t nodes);
  // Notes that the array names exactly the nodes of a view of `identity_generation`, in view
  // order (the caller added them so). Any Add or Clear after it forgets it.
  void MarkNamesOf(uint64_t identity_generation) { names_of_ = identity_generation; }

  // The assessment of `name`, added (default) when absent. Appends when `name` sorts after
  // every name so far (the analyzer's case), else inserts it in its place. The reference
  // holds until the next Add (the array may grow or shift).
  NodeAssessment& Add(std::string_view name);

  // The assessment of `name`, or nullptr when it has none.
  const NodeAssessment* Find(std::string_view name) const;
  NodeAssessment* Find(std::string_view name);

  // Like Find, for names asked in name order: `cursor` (0 before the first) keeps where the
  // last one was looked for, so finding n sorted names costs one walk of the array rather than
  // n searches. A name below the cursor's is not found.
  NodeAssessment* FindFrom(std::string_view name, size_t& cursor);

  // The assessment of `name`; throws std::out_of_range when it has none (as std::map::at).
  const NodeAssessment& at(std::string_view name) const;

  // The assessment at `position` in name order (position < size()).
  NodeAssessment& AtPosition(size_t position) { return entries_[position].second; }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // In name order.
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;  // sorted by name, no name twice
  // The FleetView::identity_generation whose nodes entries_ name in view order; 0: none.
  uint64_t names_of_ = 0;
};

}  // namespace guts::collector
