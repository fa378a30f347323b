// A source fills one part of a snapshot from one kind of observation (the node's API, its log,
// its sockets, ...). Sources are independent: each fails alone, into the snapshot's
// source_errors, and never delays the others (see SourceRunner).
//
// Adding a source is writing agent/sources/<name>_source.cc, which registers itself with one
// line (GUTS_REGISTER_SOURCE, agent/sources/registry.h), and its test
// tests/agent/sources/<name>_source_test.cc; CMake picks both up. A header for the source is
// needed only when a test or fuzzer reaches past the registry (options, test hooks).
//
// Example (agent/sources/uptime_source.cc):
//   class UptimeSource : public Source {
//    public:
//     std::string_view name() const override { return "uptime"; }
//     absl::Status Collect(absl::Time deadline, v1::Snapshot& part) override {
//       part.mutable_system()->set_cpu_count(4);
//       return absl::OkStatus();
//     }
//   };
//   GUTS_REGISTER_SOURCE(uptime, 80, [](const SourceContext&) -> std::unique_ptr<Source> {
//     return std::make_unique<UptimeSource>();
//   });
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::agent {

namespace v1 = ::guts::diag::v1;

class Source {
 public:
  virtual ~Source() = default;

  // Stable name reported in SourceError.source and in /metrics.
  virtual std::string_view name() const = 0;

  // Observes once and writes what it saw into `part`, an empty snapshot that is merged
  // (MergeFrom) into the real one. Should return by `deadline`; a source that does not is cut
  // off and reported as timed out, and its late result is discarded. May fill `part` partly
  // and return an error: both the partial facts and the error are kept.
  // Called from one dedicated thread per source, never concurrently with itself.
  virtual absl::Status Collect(absl::Time deadline, v1::Snapshot& part) = 0;
};

}  // namespace guts::agent
