#include "collector/store/rocksdb_log.h"

#include <cstdarg>
#include <cstdio>

#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

class ProcessLog final : public rocksdb::Logger {
 public:
  ProcessLog() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb: {}", line);
    } else {
      spdlog::warn("rocksdb: {}", line);
    }
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> RocksDbLog() { return std::make_shared<ProcessLog>(); }

}  // namespace guts::collector
