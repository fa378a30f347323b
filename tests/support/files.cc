#include "tests/support/files.h"

#include <fstream>
#include <sstream>

namespace guts::testing {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace guts::testing
