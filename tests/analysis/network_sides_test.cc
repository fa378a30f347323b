// The name lists of split sides (network_sides.cc, verdict_parts.cc) on a model whose node
// indices are not in name order: lists already in rank order skip their sort, and sides are
// merged run by run, so a list out of order must still come out sorted.
#include "collector/analysis/network_sides.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collector/analysis/validator_set.h"
#include "collector/analysis/verdict_parts.h"

namespace guts::collector {
namespace {

using ::testing::ElementsAre;

// Nodes named ids[i] at index i; rank by name, as BuildFleetModel makes it.
class NamedModel {
 public:
  explicit NamedModel(std::vector<std::string> ids) : ids_(std::move(ids)) {
    const int n = static_cast<int>(ids_.size());
    model_.nodes.resize(n);
    model_.by_id.resize(n);
    for (int i = 0; i < n; ++i) {
      model_.nodes[i].id = &ids_[i];
      model_.nodes[i].weight = 10;
      model_.by_id[i] = i;
    }
    std::sort(model_.by_id.begin(), model_.by_id.end(),
              [&](int a, int b) { return ids_[a] < ids_[b]; });
    model_.rank.resize(n);
    for (int r = 0; r < n; ++r) model_.rank[model_.by_id[r]] = static_cast<uint32_t>(r);
  }
  FleetModel& model() { return model_; }

 private:
  std::vector<std::string> ids_;
  FleetModel model_;
};

std::vector<std::string> Names(const guts::diag::v1::NodeGroup& g) {
  return std::vector<std::string>(g.nodes().begin(), g.nodes().end());
}

TEST(NetworkSidesTest, NodeGroupListsNamesInOrderWhateverTheIndicesOrder) {
  NamedModel named({"c", "a", "b", "e", "d"});
  const FleetModel& model = named.model();
  // Already in rank order (a, b, c): kept as given.
  EXPECT_THAT(Names(NodeGroupOf(model, {1, 2, 0}, 0)), ElementsAre("a", "b", "c"));
  // Out of rank order: sorted.
  EXPECT_THAT(Names(NodeGroupOf(model, {0, 1, 2}, 0)), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Names(NodeGroupOf(model, {3, 4, 0, 1}, 0)), ElementsAre("a", "c", "d", "e"));
  const guts::diag::v1::NodeGroup group = NodeGroupOf(model, {3, 1}, 15);
  EXPECT_EQ(group.weight(), 20u);
  EXPECT_TRUE(group.has_quorum());
}

TEST(NetworkSidesTest, SideMemberNamesMergesSidesInNameOrder) {
  NamedModel named({"c", "a", "b", "e", "d", "f"});
  FleetModel& model = named.model();
  // Each side in rank order, the two interleaved: a, c, e and b, d, f.
  NetworkSide first;
  first.nodes = {1, 0, 3};
  NetworkSide second;
  second.nodes = {2, 4, 5};
  EXPECT_THAT(SideMemberNames(model, {&first, &second}), ElementsAre("a", "b", "c", "d", "e", "f"));
  EXPECT_THAT(SideMemberNames(model, {&second, &first}), ElementsAre("a", "b", "c", "d", "e", "f"));
  // A side out of rank order (e before a), and a side with an unobserved validator.
  NetworkSide unordered;
  unordered.nodes = {3, 1, 5};
  const std::vector<ValidatorEntry> validators = {{.name = "bb"}};
  model.unobserved.emplace_back().entry = &validators[0];
  NetworkSide with_unobserved;
  with_unobserved.nodes = {0, 4};
  with_unobserved.unobserved = {0};
  EXPECT_THAT(SideMemberNames(model, {&unordered, &with_unobserved}),
              ElementsAre("a", "bb", "c", "d", "e", "f"));
  EXPECT_THAT(SideMemberNames(model, {&unordered}), ElementsAre("a", "e", "f"));
}

// The indices and sides SideMemberNames gives beside the names (the split verdict's node_indices
// and node_groups, which AssessNodes reads instead of the names): each entry is the named
// node's own index and the position of its own side, unobserved members -1.
TEST(NetworkSidesTest, SideMemberNamesGivesEachNamesIndexAndSide) {
  NamedModel named({"c", "a", "b", "e", "d", "f"});
  FleetModel& model = named.model();
  const std::vector<ValidatorEntry> validators = {{.name = "bb"}, {.name = "ee"}};
  model.unobserved.emplace_back().entry = &validators[0];
  model.unobserved.emplace_back().entry = &validators[1];
  NetworkSide unordered;
  unordered.nodes = {3, 1, 5};
  unordered.unobserved = {1};
  NetworkSide with_unobserved;
  with_unobserved.nodes = {0, 4, 2};
  with_unobserved.unobserved = {0};
  std::vector<int> indices = {7, 7};  // written over
  std::vector<int> side_of;
  EXPECT_THAT(SideMemberNames(model, {&unordered, &with_unobserved}, &indices, &side_of),
              ElementsAre("a", "b", "bb", "c", "d", "e", "ee", "f"));
  EXPECT_THAT(indices, ElementsAre(1, 2, -1, 0, 4, 3, -1, 5));
  EXPECT_THAT(side_of, ElementsAre(0, 1, 1, 1, 1, 0, 0, 0));
  EXPECT_THAT(SideMemberNames(model, {&with_unobserved}, &indices, &side_of),
              ElementsAre("b", "bb", "c", "d"));
  EXPECT_THAT(indices, ElementsAre(2, -1, 0, 4));
  EXPECT_THAT(side_of, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace guts::collector
