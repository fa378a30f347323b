#include "collector/analysis/node_assessments.h"

#include <algorithm>
#include <stdexcept>

namespace guts::collector {
namespace {

bool NameBelow(const NodeAssessments::Entry& e, std::string_view name) { return e.first < name; }

}  // namespace

bool NodeAssessments::ResetKeepingNamesOf(uint64_t identity_generation, size_t nodes) {
  if (identity_generation == 0 || names_of_ != identity_generation || entries_.size() != nodes) {
    Clear();
    return false;
  }
  for (Entry& e : entries_) e.second = NodeAssessment{};
  return true;
}

NodeAssessment& NodeAssessments::Add(std::string_view name) {
  names_of_ = 0;
  if (entries_.empty() || entries_.back().first < name) {
    return entries_.emplace_back(std::string(name), NodeAssessment{}).second;
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name, NameBelow);
  if (it == entries_.end() || it->first != name) {
    it = entries_.emplace(it, std::string(name), NodeAssessment{});
  }
  return it->second;
}

const NodeAssessment* NodeAssessments::Find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name, NameBelow);
  return it != entries_.end() && it->first == name ? &it->second : nullptr;
}

NodeAssessment* NodeAssessments::Find(std::string_view name) {
  return const_cast<NodeAssessment*>(std::as_const(*this).Find(name));
}

NodeAssessment* NodeAssessments::FindFrom(std::string_view name, size_t& cursor) {
  while (cursor < entries_.size() && entries_[cursor].first < name) ++cursor;
  return cursor < entries_.size() && entries_[cursor].first == name ? &entries_[cursor].second
                                                                    : nullptr;
}

const NodeAssessment& NodeAssessments::at(std::string_view name) const {
  const NodeAssessment* a = Find(name);
  if (a == nullptr) throw std::out_of_range("NodeAssessments::at: no such node");
  return *a;
}

}  // namespace guts::collector
