#include "sim/fault_command.h"

#include <gtest/gtest.h>

namespace guts::sim {
namespace {

TEST(FaultCommandTest, PartitionParsesGroupsOfNodeIndexes) {
  absl::StatusOr<FaultCommand> c = ParseFaultCommand({"partition", "v1,v2,v3,v4|v5,v6,v7"}, 7);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, FaultKind::kPartition);
  ASSERT_EQ(c->groups.size(), 2u);
  EXPECT_EQ(c->groups[0], (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(c->groups[1], (std::vector<int>{4, 5, 6}));
}

TEST(FaultCommandTest, BadCommandsSayWhatIsWrong) {
  auto error = [](std::vector<std::string> words) {
    absl::StatusOr<FaultCommand> c = ParseFaultCommand(words, 7);
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  EXPECT_NE(error({"partition", "v1,v9|v2"}).find("unknown node 'v9'"), std::string::npos);
  EXPECT_NE(error({"partition", "v1,v2|v2"}).find("two groups"), std::string::npos);
  EXPECT_NE(error({"partition", "v1,v2"}).find("at least 2 groups"), std::string::npos);
  EXPECT_NE(error({"slow", "v5", "3"}).find("slow factor"), std::string::npos);
  EXPECT_NE(error({"drop", "v3"}).find("usage: drop"), std::string::npos);
  EXPECT_NE(error({"explode"}).find("unknown command 'explode'"), std::string::npos);
  EXPECT_NE(error({"isolate", "v2", "sideways"}).find("usage: isolate"), std::string::npos);
  EXPECT_NE(error({}).find("empty"), std::string::npos);
}

TEST(FaultCommandTest, EveryFaultParses) {
  for (std::vector<std::string> words :
       std::vector<std::vector<std::string>>{{"heal"},
                                             {"drop", "v3", "v5"},
                                             {"undrop", "v3", "v5"},
                                             {"link", "v2", "v6", "down"},
                                             {"isolate", "v6"},
                                             {"isolate", "v2", "inbound"},
                                             {"kill", "v4"},
                                             {"restart", "v4"},
                                             {"pause", "v4"},
                                             {"resume", "v4"},
                                             {"halt"},
                                             {"stall"},
                                             {"unhalt"},
                                             {"slow", "v5", "0.5"},
                                             {"peer-drop", "0.6", "0.5"},
                                             {"fork", "v1,v2,v3,v4|v5,v6,v7"},
                                             {"disk", "v2", "0.93"},
                                             {"config-fallback", "v7"},
                                             {"config-fallback", "v7", "off"},
                                             {"clock", "v3", "+5m"},
                                             {"status"}}) {
    EXPECT_TRUE(ParseFaultCommand(words, 7).ok()) << words[0];
  }
}

}  // namespace
}  // namespace guts::sim
