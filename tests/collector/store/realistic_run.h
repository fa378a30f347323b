// RealisticRun: one node's snapshots over a long run, from bench/loadgen's RealisticSnapshot
// (heights, counters, ages and RTTs moving every second) plus what a real run also does now
// and then: peers leave and come back, a source fails, health checks and metric series come
// and go, error lines accumulate. For round-trip tests of the snapshot store.
//
// Not thread-safe: one run per node.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector::testing {

// A snapshot's bytes in deterministic field order: the form the store and its deltas must give
// back exactly.
inline std::string SnapshotBytes(const guts::diag::v1::Snapshot& s) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  s.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

class RealisticRun {
 public:
  RealisticRun(const std::string& node, int index) : maker_(node, index, 1000u + index) {}

  // The snapshot of second `seq` (1, 2, ...) of the run, taken at start + seq seconds.
  guts::diag::v1::Snapshot Next(uint64_t seq, absl::Time start) {
    guts::diag::v1::Snapshot s = maker_.Next(seq, start + absl::Seconds(seq));
    if (seq % 300 >= 200) s.mutable_peers()->DeleteSubrange(static_cast<int>(seq % 7), 1);
    if (seq % 500 >= 450) {
      auto* extra = s.add_peers();
      extra->set_remote_addr(absl::StrCat("10.9.0.", seq % 50, ":9000"));
      extra->set_rtt_us(static_cast<uint32_t>(seq % 977));
    }
    if (seq % 97 == 0) {
      auto* e = s.add_source_errors();
      e->set_source("node_api");
      e->set_message(absl::StrCat("GET /health: timeout after ", 500 + seq % 13, " ms"));
      e->set_timed_out(true);
    }
    if (seq % 1000 > 600) (*s.mutable_health()->mutable_checks())["disk"].set_status("down");
    if (seq % 250 > 125) {
      (*s.mutable_metrics()->mutable_series())[absl::StrCat("guts_x{k=\"", seq / 250, "\"}")] =
          static_cast<double>(seq) / 7;
    }
    errors_ += seq % 61 == 0 ? 1 : 0;
    for (uint64_t i = 0; i < errors_ % 5; ++i) {
      s.mutable_log()->add_recent_errors(absl::StrCat("error #", errors_ - i));
    }
    (*s.mutable_log()->mutable_errors_by_kind())["api_error"] = errors_;
    return s;
  }

 private:
  guts::bench::RealisticSnapshot maker_;
  uint64_t errors_ = 0;
};

}  // namespace guts::collector::testing
