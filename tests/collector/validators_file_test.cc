// The operator's validator file: the shipped example parses, and each malformed entry is
// refused with its place and reason.
#include "collector/validators_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace guts::collector {
namespace {

using ::testing::HasSubstr;

TEST(ValidatorsFileTest, ShippedExampleLoads) {
  absl::StatusOr<std::vector<ValidatorEntry>> v =
      LoadValidatorsFile(std::string(GUTS_SOURCE_DIR) + "/deploy/validators.example.yaml");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 3u);
  EXPECT_EQ((*v)[2].name, "partner-a");
  EXPECT_EQ((*v)[2].organisation, "partner-a");
  EXPECT_EQ((*v)[2].addr, "203.0.113.7:9000");
  EXPECT_EQ((*v)[2].weight, 100u);
  EXPECT_EQ((*v)[1].public_key, "");
}

TEST(ValidatorsFileTest, KeysAreLowerCasedAndWeightDefaultsToOne) {
  auto v = ParseValidatorsYaml("validators:\n  - {name: a, public_key: ABCDEF01}\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0].public_key, "abcdef01");
  EXPECT_EQ((*v)[0].weight, 1u);
}

TEST(ValidatorsFileTest, MalformedEntriesAreRefusedWithTheirPlace) {
  EXPECT_THAT(ParseValidatorsYaml("validators:\n  - {p2p_addr: 1.2.3.4:9000}\n").status().message(),
              HasSubstr("entry 1: no name"));
  EXPECT_THAT(ParseValidatorsYaml("validators:\n  - {name: a}\n").status().message(),
              HasSubstr("needs a public_key or a p2p_addr"));
  EXPECT_THAT(
      ParseValidatorsYaml("validators:\n  - {name: a, public_key: xyz}\n").status().message(),
      HasSubstr("not hex"));
  EXPECT_THAT(ParseValidatorsYaml("validators:\n  - {name: a, p2p_addr: x, weight: 0}\n")
                  .status()
                  .message(),
              HasSubstr("weight must be > 0"));
  EXPECT_THAT(ParseValidatorsYaml("validators:\n  - {name: a, p2p_addr: x}\n"
                                  "  - {name: a, p2p_addr: y}\n")
                  .status()
                  .message(),
              HasSubstr("duplicate name a"));
  EXPECT_FALSE(ParseValidatorsYaml("nodes: []\n").ok());
  EXPECT_FALSE(ParseValidatorsYaml("validators: [").ok());
  EXPECT_FALSE(ParseValidatorsYaml(std::string(2 << 20, ' ')).ok());
  EXPECT_EQ(LoadValidatorsFile("/nonexistent/v.yaml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace guts::collector
