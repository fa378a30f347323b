// Fuzzes the collector's YAML configuration file (--config): yaml-cpp's parse and our mapping
// of its keys and values onto flags, durations and maintenance windows. Input: the file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "collector/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    char name[] = "/tmp/guts-config-fuzz-XXXXXX";
    int fd = mkstemp(name);
    close(fd);
    return std::string(name);
  }();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  const char* argv[] = {"guts-collector", "--data-dir", "/tmp/unused",
                        "--insecure",     "--config",   path.c_str()};
  (void)guts::collector::ParseCollectorConfig(6, argv);
  return 0;
}
