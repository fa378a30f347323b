// NodeAssessments: one flat array in name order, whatever order the names are added in.
#include "collector/analysis/node_assessments.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using ::testing::ElementsAre;

std::vector<std::string> NamesOf(const NodeAssessments& nodes) {
  std::vector<std::string> names;
  for (const auto& [name, assessment] : nodes) names.push_back(name);
  return names;
}

TEST(NodeAssessmentsTest, NamesAddedInOrderAreAppended) {
  NodeAssessments nodes;
  nodes.Reserve(3);
  nodes.Add("v1").lag = 1;
  nodes.Add("v2").lag = 2;
  nodes.Add("v3").lag = 3;
  EXPECT_THAT(NamesOf(nodes), ElementsAre("v1", "v2", "v3"));
  ASSERT_NE(nodes.Find("v2"), nullptr);
  EXPECT_EQ(nodes.Find("v2")->lag, 2u);
  EXPECT_EQ(nodes.Find("v4"), nullptr);
  EXPECT_EQ(nodes.Find(""), nullptr);
}

// A caller that adds out of order (a test building a result by hand) still gets name order,
// and every name is found.
TEST(NodeAssessmentsTest, NamesAddedOutOfOrderAreKeptInNameOrder) {
  NodeAssessments nodes;
  for (const char* name : {"v3", "v10", "v1", "v4", "v2", "a"}) {
    nodes.Add(name).reason = name;
  }
  // Name order is the strings' order, as std::map<std::string, ...> kept it.
  EXPECT_THAT(NamesOf(nodes), ElementsAre("a", "v1", "v10", "v2", "v3", "v4"));
  for (const char* name : {"v3", "v10", "v1", "v4", "v2", "a"}) {
    const NodeAssessment* a = nodes.Find(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->reason, name);
  }
  EXPECT_EQ(nodes.Find("v5"), nullptr);
}

TEST(NodeAssessmentsTest, AddingANameTwiceGivesItsAssessmentBack) {
  NodeAssessments nodes;
  nodes.Add("v1");
  nodes.Add("v2").state = v1::DOWN;
  nodes.Add("v2").lag = 7;  // the last name again
  nodes.Add("v1").lag = 3;  // an earlier name again
  EXPECT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes.at("v2").state, v1::DOWN);
  EXPECT_EQ(nodes.at("v2").lag, 7u);
  EXPECT_EQ(nodes.at("v1").lag, 3u);
  EXPECT_THROW(nodes.at("v3"), std::out_of_range);
}

TEST(NodeAssessmentsTest, FindFromWalksSortedNamesAndSkipsAbsentOnes) {
  NodeAssessments nodes;
  for (const char* name : {"v1", "v2", "v4", "v6"}) nodes.Add(name).reason = name;
  size_t cursor = 0;
  std::vector<std::string> found;
  for (const char* name : {"v0", "v2", "v3", "v4", "v6", "v7"}) {
    if (NodeAssessment* a = nodes.FindFrom(name, cursor)) found.push_back(a->reason);
  }
  EXPECT_THAT(found, ElementsAre("v2", "v4", "v6"));
  // Its result is the one Find gives, and writes land in the array.
  cursor = 0;
  nodes.FindFrom("v4", cursor)->lag = 9;
  EXPECT_EQ(nodes.Find("v4"), nodes.FindFrom("v4", cursor));
  EXPECT_EQ(nodes.at("v4").lag, 9u);
}

// A recycled array keeps its names for a tick over a view of the generation it was marked
// with, and of as many nodes: every assessment is reset to a default one. Anything else clears
// it: another generation, another count, generation 0, an Add or a Clear after the mark.
TEST(NodeAssessmentsTest, NamesAreKeptOnlyForTheGenerationAndCountTheyWereMarkedWith) {
  auto marked = [] {
    NodeAssessments nodes;
    for (const char* name : {"v1", "v2", "v3"}) {
      NodeAssessment& a = nodes.Add(name);
      a.state = v1::DOWN;
      a.reason = std::string(40, 'x');
      a.lag = 5;
      a.before_first_snapshot = true;
    }
    nodes.MarkNamesOf(7);
    return nodes;
  };
  NodeAssessments nodes = marked();
  ASSERT_TRUE(nodes.ResetKeepingNamesOf(7, 3));
  std::vector<std::string> names;
  for (const auto& [name, a] : nodes) {
    names.push_back(name);
    EXPECT_EQ(a.state, v1::UNKNOWN);
    EXPECT_EQ(a.reason, "");
    EXPECT_EQ(a.lag, 0u);
    EXPECT_FALSE(a.before_first_snapshot);
  }
  EXPECT_THAT(names, ElementsAre("v1", "v2", "v3"));
  // Still marked: the next tick of the same generation keeps them too.
  EXPECT_TRUE(nodes.ResetKeepingNamesOf(7, 3));

  nodes = marked();
  EXPECT_FALSE(nodes.ResetKeepingNamesOf(8, 3));
  EXPECT_TRUE(nodes.empty());
  nodes = marked();
  EXPECT_FALSE(nodes.ResetKeepingNamesOf(7, 4));
  EXPECT_TRUE(nodes.empty());
  nodes = marked();
  nodes.MarkNamesOf(0);
  EXPECT_FALSE(nodes.ResetKeepingNamesOf(0, 3));
  EXPECT_TRUE(nodes.empty());
  nodes = marked();
  nodes.Add("v2");  // an Add after the mark, even of a name it holds
  EXPECT_FALSE(nodes.ResetKeepingNamesOf(7, 3));
  EXPECT_TRUE(nodes.empty());
  nodes = marked();
  nodes.Clear();
  for (const char* name : {"v4", "v5", "v6"}) nodes.Add(name);
  EXPECT_FALSE(nodes.ResetKeepingNamesOf(7, 3));
  EXPECT_TRUE(nodes.empty());
}

}  // namespace
}  // namespace guts::collector
