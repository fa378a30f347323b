#include "collector/query/incident_page.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace guts::collector {
namespace {

using guts::diag::v1::Incident;

// A token longer than any this collector writes (an id is at most a few dozen bytes).
constexpr size_t kMaxPageTokenBytes = 512;

// The token names the last incident of a page by its sort key: "open.severity.updated.id".
std::string PageToken(const Incident& last) {
  return absl::StrCat(last.state() == guts::diag::v1::OPEN ? 1 : 0, ".",
                      static_cast<int>(last.severity()), ".", last.updated_unix_ms(), ".",
                      last.id());
}

// The incident the token names, with only its sort key set.
absl::StatusOr<Incident> ParsePageToken(const std::string& token) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", token.substr(0, 64),
                     "\" was not written by this collector; start again without one"));
  };
  if (token.size() > kMaxPageTokenBytes) return bad();
  std::vector<std::string> parts = absl::StrSplit(token, absl::MaxSplits('.', 3));
  int open = 0, severity = 0;
  int64_t updated = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &open) || (open != 0 && open != 1) ||
      !absl::SimpleAtoi(parts[1], &severity) || !guts::diag::v1::Severity_IsValid(severity) ||
      !absl::SimpleAtoi(parts[2], &updated)) {
    return bad();
  }
  Incident key;
  key.set_state(open == 1 ? guts::diag::v1::OPEN : guts::diag::v1::RESOLVED);
  key.set_severity(static_cast<guts::diag::v1::Severity>(severity));
  key.set_updated_unix_ms(updated);
  key.set_id(parts[3]);
  return key;
}

}  // namespace

bool IncidentOrder(const Incident& a, const Incident& b) {
  const bool a_open = a.state() == guts::diag::v1::OPEN;
  const bool b_open = b.state() == guts::diag::v1::OPEN;
  if (a_open != b_open) return a_open;
  if (a.severity() != b.severity()) return a.severity() < b.severity();
  if (a.updated_unix_ms() != b.updated_unix_ms()) return a.updated_unix_ms() > b.updated_unix_ms();
  return a.id() < b.id();
}

absl::StatusOr<guts::diag::v1::IncidentList> IncidentPage(
    std::vector<Incident> matching, const guts::diag::v1::ListIncidentsRequest& request) {
  guts::diag::v1::IncidentList page;
  page.set_total_matching(static_cast<uint32_t>(matching.size()));
  std::sort(matching.begin(), matching.end(), IncidentOrder);
  auto first = matching.begin();
  if (!request.page_token().empty()) {
    absl::StatusOr<Incident> after = ParsePageToken(request.page_token());
    if (!after.ok()) return after.status();
    first = std::upper_bound(matching.begin(), matching.end(), *after, IncidentOrder);
  }
  const uint32_t limit = request.limit() == 0
                             ? kDefaultIncidentLimit
                             : std::min<uint32_t>(request.limit(), kMaxIncidentLimit);
  size_t bytes = 0;
  for (auto it = first; it != matching.end(); ++it) {
    const size_t size = it->ByteSizeLong() + 8;  // with its tag and length in the list
    const bool full = static_cast<uint32_t>(page.incidents_size()) >= limit ||
                      (page.incidents_size() > 0 && bytes + size > kIncidentPageBytes);
    if (full) {
      page.set_truncated(true);
      page.set_next_page_token(PageToken(page.incidents(page.incidents_size() - 1)));
      break;
    }
    bytes += size;
    *page.add_incidents() = std::move(*it);
  }
  return page;
}

}  // namespace guts::collector
