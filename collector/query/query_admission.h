// QueryAdmission: how many fleet queries (fleet status, node, history, topology, incidents)
// run at once, in total and per caller; a second QueryAdmission counts the bundle calls
// (CollectBundle, DownloadBundle) under their own caps. A query beyond either cap is refused at
// once with RESOURCE_EXHAUSTED and never queued, so what queries hold in memory is bounded by the
// caps times what one query holds (a history stream: one page of points, node_history.h).
//
// A caller is the authenticated principal ("certificate CN=grafana", "token grafana"); without
// TLS (no identities, development only), the peer's connection.
//
// Example:
//   QueryAdmission admission({.max_total = 64, .max_per_caller = 16});
//   absl::StatusOr<QueryAdmission::Slot> slot = admission.Admit("token grafana", "GetNodeHistory");
//   if (!slot.ok()) return Finish(ToGrpcStatus(slot.status()));
//   ...  // the query runs while `slot` lives; destroying it lets the next one in
//
// Thread-safe. Must outlive every Slot it hands out.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace guts::collector {

struct QueryLimits {
  // Queries at once on the collector, and from one caller; 0 = no limit.
  uint32_t max_total = 64;
  uint32_t max_per_caller = 16;
  // What is counted and the flags that set the caps, for the refusal.
  std::string what = "queries";
  std::string total_flag = "--max-queries";
  std::string per_caller_flag = "--max-queries-per-caller";
};

class QueryAdmission {
 public:
  // A running query's place; frees it when destroyed. Move-only.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : admission_(other.admission_), caller_(std::move(other.caller_)) {
      other.admission_ = nullptr;
    }
    Slot& operator=(Slot&& other) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class QueryAdmission;
    Slot(QueryAdmission* admission, std::string caller)
        : admission_(admission), caller_(std::move(caller)) {}
    QueryAdmission* admission_;
    std::string caller_;
  };

  explicit QueryAdmission(QueryLimits limits) : limits_(limits) {}

  // A slot for `caller`'s `query` (its name, for the refusal); RESOURCE_EXHAUSTED naming the
  // cap and its flag when the collector or this caller already runs as many as allowed. Logs
  // a warning at most once per 10 s, with the number of refusals since the last one.
  absl::StatusOr<Slot> Admit(const std::string& caller, absl::string_view query);

  // Queries running now (for tests and /metrics).
  uint32_t Running() const;

 private:
  void Release(const std::string& caller);

  const QueryLimits limits_;
  mutable absl::Mutex mu_;
  uint32_t running_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint32_t> by_caller_ ABSL_GUARDED_BY(mu_);
  absl::Time warned_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t refused_since_warning_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace guts::collector
