#include "common/logging.h"

#include <gtest/gtest.h>

namespace guts {
namespace {

TEST(InitLogging, RejectsUnknownLevelNamingTheFlag) {
  absl::Status s = InitLogging("test-bad", "loud");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--log-level"), absl::string_view::npos);
}

TEST(InitLogging, AcceptsKnownLevels) {
  EXPECT_TRUE(InitLogging("test-ok", "warn").ok());
  EXPECT_TRUE(InitLogging("test-off", "off").ok());
}

}  // namespace
}  // namespace guts
