#include "tests/support/files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace guts::testing {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string ScratchFilePath(const std::string& name, const std::string& suffix) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + suffix))
      .string();
}

}  // namespace guts::testing
