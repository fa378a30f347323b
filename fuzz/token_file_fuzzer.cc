// Fuzzes the collector's bearer tokens file (--tokens-file): lines of role, SHA-256 hex and
// name, comments and blank lines. Input: the file's text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/auth/token_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<guts::collector::TokenFile> tokens =
      guts::collector::TokenFile::Parse(text, "fuzz");
  if (tokens.ok()) (void)tokens->Find("some-token");
  return 0;
}
