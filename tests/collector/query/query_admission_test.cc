// QueryAdmission: a caller cannot run more than its share of queries at once, the collector
// not more than its total, refusals are RESOURCE_EXHAUSTED naming the flag, and a finished
// (or cancelled) query frees its place.
#include "collector/query/query_admission.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace guts::collector {
namespace {

TEST(QueryAdmissionTest, OneCallerGetsItsShareAndOthersStillGetIn) {
  QueryAdmission admission({.max_total = 5, .max_per_caller = 3});
  std::vector<QueryAdmission::Slot> hostile;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<QueryAdmission::Slot> slot = admission.Admit("token scraper", "GetNodeHistory");
    ASSERT_TRUE(slot.ok()) << slot.status();
    hostile.push_back(*std::move(slot));
  }
  absl::StatusOr<QueryAdmission::Slot> fourth = admission.Admit("token scraper", "GetNodeHistory");
  ASSERT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(fourth.status().message().find("--max-queries-per-caller 3"), std::string::npos)
      << fourth.status();
  EXPECT_TRUE(admission.Admit("certificate CN=operator", "GetFleetStatus").ok());
  EXPECT_EQ(admission.Running(), 3u);  // the operator's slot was freed at once
}

TEST(QueryAdmissionTest, TheTotalCapHoldsAcrossCallers) {
  QueryAdmission admission({.max_total = 4, .max_per_caller = 2});
  std::vector<QueryAdmission::Slot> held;
  for (const char* who : {"a", "a", "b", "b"}) {
    absl::StatusOr<QueryAdmission::Slot> slot = admission.Admit(who, "GetNode");
    ASSERT_TRUE(slot.ok()) << slot.status();
    held.push_back(*std::move(slot));
  }
  absl::StatusOr<QueryAdmission::Slot> c = admission.Admit("c", "ListIncidents");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(c.status().message().find("--max-queries 4"), std::string::npos) << c.status();
  held.pop_back();  // one of b's queries ends
  EXPECT_TRUE(admission.Admit("c", "ListIncidents").ok());
}

TEST(QueryAdmissionTest, AFinishedQueryFreesItsPlace) {
  QueryAdmission admission({.max_total = 1, .max_per_caller = 1});
  {
    absl::StatusOr<QueryAdmission::Slot> slot = admission.Admit("a", "GetNodeHistory");
    ASSERT_TRUE(slot.ok());
    std::optional<QueryAdmission::Slot> moved(*std::move(slot));  // moved slots free once
    EXPECT_FALSE(admission.Admit("a", "GetNodeHistory").ok());
  }
  EXPECT_EQ(admission.Running(), 0u);
  EXPECT_TRUE(admission.Admit("a", "GetNodeHistory").ok());
}

TEST(QueryAdmissionTest, ZeroMeansNoLimit) {
  QueryAdmission admission({.max_total = 0, .max_per_caller = 0});
  std::vector<QueryAdmission::Slot> held;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<QueryAdmission::Slot> slot = admission.Admit("a", "GetNode");
    ASSERT_TRUE(slot.ok());
    held.push_back(*std::move(slot));
  }
  EXPECT_EQ(admission.Running(), 1000u);
}

}  // namespace
}  // namespace guts::collector
