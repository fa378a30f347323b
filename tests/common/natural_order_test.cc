#include "common/natural_order.h"

#include <gtest/gtest.h>

namespace guts {
namespace {

TEST(NaturalOrderTest, NodeNamesSortAsOperatorsCount) {
  EXPECT_TRUE(NaturalLess("v2", "v10"));
  EXPECT_FALSE(NaturalLess("v10", "v2"));
  EXPECT_TRUE(NaturalLess("o1", "v1"));
  EXPECT_FALSE(NaturalLess("v3", "v3"));
}

}  // namespace
}  // namespace guts
