// Reading the recorded node outputs in tests/agent/fixtures/.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace guts::agent::testing {

inline std::string FixturePath(const std::string& name) {
  return std::string(GUTS_AGENT_FIXTURES) + "/" + name;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace guts::agent::testing
