// ValidateEntryName: the names a bundle archive may hold (bundle_format/entry_name.h).
#include "bundle_format/entry_name.h"

#include <gtest/gtest.h>

namespace guts::bundle {
namespace {

TEST(EntryName, RelativeNamesAreAccepted) {
  EXPECT_TRUE(ValidateEntryName("manifest.json").ok());
  EXPECT_TRUE(ValidateEntryName("node/api/health.json").ok());
}

TEST(EntryName, DotDotAbsoluteAndEmptyComponentsAreRefused) {
  for (const char* bad :
       {"../etc/passwd", "a/../../b", "/etc/passwd", "", "a//b", "./a", "a/..", "a\\b"}) {
    const absl::Status s = ValidateEntryName(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace guts::bundle
