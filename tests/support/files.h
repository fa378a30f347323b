// Whole files for tests: a fixture, a golden, a file a binary under test wrote.
//
// Example:
//   EXPECT_EQ(ReadFileOrEmpty(dir + "/out.json"), golden);
#pragma once

#include <string>

namespace guts::testing {

// The file's bytes, or "" when it cannot be opened (the assertion that reads it then fails
// saying what it expected).
std::string ReadFileOrEmpty(const std::string& path);

// A scratch file's path in the temp directory, named after `name` and this process (so
// parallel test programs never share one), ending in `suffix` (e.g. ".tar.gz").
std::string ScratchFilePath(const std::string& name, const std::string& suffix);

}  // namespace guts::testing
