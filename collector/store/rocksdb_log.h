// RocksDbLog: RocksDB's own log ("info log") sent to the collector's log instead of a LOG file
// in the store's directory. Why: when that disk fills up, RocksDB's next line to its LOG file
// (the one reporting the failed write) aborts the process (an assertion in RocksDB 7.8's file
// writer, which Debian builds with); the collector must instead say "not ready" and recover.
// Warnings and errors are kept; RocksDB's info lines (every flush and compaction) are dropped.
//
// Example:
//   db_options.info_log = RocksDbLog();
//
// Thread-safe.
#pragma once

#include <memory>

#include "rocksdb/env.h"

namespace guts::collector {

std::shared_ptr<rocksdb::Logger> RocksDbLog();

}  // namespace guts::collector
