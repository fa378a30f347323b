#include "tests/ctl/golden.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace guts::ctl::testing {

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(GUTS_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("GUTS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << "; create it with GUTS_UPDATE_GOLDEN=1 and review it";
  std::ostringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual)
      << "output differs from " << path
      << "; if the change is intended, rerun with GUTS_UPDATE_GOLDEN=1 and review the diff";
}

}  // namespace guts::ctl::testing
