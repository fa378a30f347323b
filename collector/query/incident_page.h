// IncidentPage: one bounded answer of ListIncidents out of every incident that matches. A
// collector with a long history keeps thousands of incidents; answering with all of them in one
// message would pass gRPC's message size limit and fail the call. An answer holds at most
// `limit` incidents (0: kDefaultIncidentLimit; capped at kMaxIncidentLimit) and stops before
// kIncidentPageBytes of them (always at least one), in IncidentOrder; `next_page_token` resumes
// strictly after the last one returned.
//
// Example:
//   absl::StatusOr<IncidentList> page = IncidentPage(std::move(matching), request);
//   // page->truncated(): pass page->next_page_token() as request.page_token for the rest
//
// Thread-safe: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "guts/diag/v1/fleet.pb.h"

namespace guts::collector {

inline constexpr uint32_t kDefaultIncidentLimit = 100;
inline constexpr uint32_t kMaxIncidentLimit = 1000;
// Half of gRPC's default 4 MiB message limit, so that an answer fits with room to spare.
inline constexpr size_t kIncidentPageBytes = 2 << 20;

// Open incidents first, most severe first, then the most recently updated (newest first), ties
// by id: a total order, so that a page token names one place in it.
bool IncidentOrder(const guts::diag::v1::Incident& a, const guts::diag::v1::Incident& b);

// The page of `matching` (in any order) that `request` asks for: its `limit` and `page_token`.
// INVALID_ARGUMENT for a page token this collector did not write.
absl::StatusOr<guts::diag::v1::IncidentList> IncidentPage(
    std::vector<guts::diag::v1::Incident> matching,
    const guts::diag::v1::ListIncidentsRequest& request);

}  // namespace guts::collector
