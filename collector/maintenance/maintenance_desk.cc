#include "collector/maintenance/maintenance_desk.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/store/keys.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

constexpr char kRoom[] = "maintenance";
constexpr char kFlagAuthor[] = "--maintenance-window";

bool StartsFirst(const v1::MaintenanceWindow& a, const v1::MaintenanceWindow& b) {
  if (a.start_unix_ms() != b.start_unix_ms()) return a.start_unix_ms() < b.start_unix_ms();
  return a.id() < b.id();
}

}  // namespace

bool MaintenanceOver(const v1::MaintenanceWindow& w, absl::Time now) {
  return w.ended_unix_ms() != 0 || absl::FromUnixMillis(w.end_unix_ms()) <= now;
}

absl::StatusOr<std::unique_ptr<MaintenanceDesk>> MaintenanceDesk::Open(
    Store* store, const std::vector<std::pair<absl::Time, absl::Time>>& flag_windows) {
  std::unique_ptr<MaintenanceDesk> desk(new MaintenanceDesk(store));
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> records = store->Records(kRoom);
  if (!records.ok()) return records.status();
  absl::MutexLock lock(&desk->mu_);
  for (const auto& [id, bytes] : *records) {
    v1::MaintenanceWindow w;
    if (!w.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("unreadable maintenance window ", id));
    }
    desk->windows_.push_back(std::move(w));
  }
  int n = 0;
  for (const auto& [start, end] : flag_windows) {
    v1::MaintenanceWindow w;
    w.set_id(absl::StrCat("flag-", ++n));
    w.set_start_unix_ms(absl::ToUnixMillis(start));
    w.set_end_unix_ms(absl::ToUnixMillis(end));
    w.set_declared_by(kFlagAuthor);
    w.set_reason("collector start-up flag");
    desk->windows_.push_back(std::move(w));
  }
  return desk;
}

absl::StatusOr<v1::MaintenanceWindow> MaintenanceDesk::Declare(
    const v1::DeclareMaintenanceRequest& request, const std::string& who, absl::Time now) {
  absl::Duration duration = absl::Milliseconds(request.duration_ms());
  if (duration <= absl::ZeroDuration() || duration > kMaxMaintenanceDuration) {
    return absl::InvalidArgumentError("a maintenance window lasts more than 0 and at most 7 days");
  }
  if (static_cast<size_t>(request.nodes_size()) > kMaxMaintenanceNodes) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxMaintenanceNodes,
                                                   " nodes per window; leave --nodes out "
                                                   "for the whole network"));
  }
  for (const std::string& node : request.nodes()) {
    if (!keys::ValidNodeId(node)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", node.substr(0, 64), "\" is not a node id"));
    }
  }
  if (request.reason().size() > kMaxMaintenanceReasonBytes) {
    return absl::InvalidArgumentError("the reason is longer than 512 bytes");
  }
  absl::Time start =
      request.start_unix_ms() == 0 ? now : absl::FromUnixMillis(request.start_unix_ms());
  if (start + duration <= now) return absl::InvalidArgumentError("that window is already over");

  v1::MaintenanceWindow w;
  static thread_local std::mt19937 rng{std::random_device{}()};
  w.set_id(absl::StrFormat("mw-%d-%04x", absl::ToUnixMillis(now), rng() & 0xffff));
  std::vector<std::string> nodes(request.nodes().begin(), request.nodes().end());
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  for (std::string& n : nodes) w.add_nodes(std::move(n));
  w.set_start_unix_ms(absl::ToUnixMillis(start));
  w.set_end_unix_ms(absl::ToUnixMillis(start + duration));
  w.set_reason(request.reason());
  w.set_declared_by(who);
  w.set_declared_unix_ms(absl::ToUnixMillis(now));

  absl::MutexLock lock(&mu_);
  // Past the bound, the oldest past windows make room.
  std::sort(windows_.begin(), windows_.end(), StartsFirst);
  size_t stored = std::count_if(windows_.begin(), windows_.end(),
                                [](const auto& x) { return x.declared_by() != kFlagAuthor; });
  for (auto it = windows_.begin();
       stored >= kMaxStoredMaintenanceWindows && it != windows_.end();) {
    if (it->declared_by() != kFlagAuthor && MaintenanceOver(*it, now)) {
      if (absl::Status s = store_->DeleteRecord(kRoom, it->id()); !s.ok()) return s;
      it = windows_.erase(it);
      --stored;
    } else {
      ++it;
    }
  }
  if (stored >= kMaxStoredMaintenanceWindows) {
    return absl::ResourceExhaustedError("1000 maintenance windows are current: end some first");
  }
  if (absl::Status s = store_->PutRecord(kRoom, w.id(), w.SerializeAsString()); !s.ok()) return s;
  windows_.push_back(w);
  return w;
}

absl::StatusOr<v1::MaintenanceWindow> MaintenanceDesk::End(const std::string& id,
                                                           const std::string& who, absl::Time now) {
  absl::MutexLock lock(&mu_);
  for (v1::MaintenanceWindow& w : windows_) {
    if (w.id() != id) continue;
    if (w.declared_by() == kFlagAuthor) {
      return absl::FailedPreconditionError(
          "a --maintenance-window from the collector's flags ends with a restart without it");
    }
    if (MaintenanceOver(w, now)) {
      return absl::FailedPreconditionError(absl::StrCat("window ", id, " is already over"));
    }
    v1::MaintenanceWindow ended = w;
    ended.set_ended_unix_ms(absl::ToUnixMillis(now));
    ended.set_ended_by(who);
    if (absl::Status s = store_->PutRecord(kRoom, id, ended.SerializeAsString()); !s.ok()) {
      return s;
    }
    w = ended;
    return w;
  }
  return absl::NotFoundError(absl::StrCat("no maintenance window \"", id.substr(0, 64), "\""));
}

v1::MaintenanceList MaintenanceDesk::List(bool include_past, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::MaintenanceWindow> current, past;
  for (const v1::MaintenanceWindow& w : windows_) {
    (MaintenanceOver(w, now) ? past : current).push_back(w);
  }
  std::sort(current.begin(), current.end(), StartsFirst);
  std::sort(past.begin(), past.end(),
            [](const auto& a, const auto& b) { return StartsFirst(b, a); });
  v1::MaintenanceList list;
  for (auto& w : current) *list.add_windows() = std::move(w);
  if (include_past) {
    for (auto& w : past) *list.add_windows() = std::move(w);
  }
  return list;
}

std::vector<AnalysisConfig::MaintenanceWindow> MaintenanceDesk::ForAnalysis(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  std::vector<AnalysisConfig::MaintenanceWindow> out;
  for (const v1::MaintenanceWindow& w : windows_) {
    if (MaintenanceOver(w, now)) continue;
    out.push_back({.start = absl::FromUnixMillis(w.start_unix_ms()),
                   .end = absl::FromUnixMillis(w.end_unix_ms()),
                   .nodes = {w.nodes().begin(), w.nodes().end()}});
  }
  return out;
}

}  // namespace guts::collector
