// Fixed fleet states for gutsctl's tests: what a collector would answer, built in code so
// that every figure in a golden file can be traced to a line here.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "guts/diag/v1/fleet.pb.h"

namespace guts::ctl::testing {

namespace v1 = ::guts::diag::v1;

// The collector's clock in every fixture: 2026-11-30 03:00:00 UTC.
inline constexpr int64_t kNowUnixMs = 1796007600000;

struct FleetFixture {
  v1::FleetStatus status;
  v1::Topology topology;
  std::map<std::string, v1::NodeDetail> details;
  std::map<std::string, std::vector<v1::HistoryPoint>> history;
  // Every incident, open and resolved.
  v1::IncidentList incidents;
  // What CollectBundle ends with, per node: a complete bundle, or a pending one.
  std::map<std::string, v1::BundleInfo> collect_outcomes;
  // Stored bundles (listed by ListBundles) and their archive bytes (served by DownloadBundle).
  v1::BundleList bundles;
  std::map<std::string, std::string> archives;
  // Bundle calls answer PERMISSION_DENIED (a viewer-only certificate).
  bool deny_bundles = false;
};

// Seven equal validators split 4|3 ({v1..v4} | {v5,v6,v7}): no side holds the quorum (467 of
// 700), one open P1 PARTITION_NO_QUORUM. v6 is offline for bundles (pending).
FleetFixture FourThreeSplitOfSeven();

// Five validators and an observer, connected, no P1: v4 down (silent), v2 unreachable to
// the collector, v5 lagging and reachable only through the bridge v3, a one-way link v2->v5,
// v3's disk 93 % full.
FleetFixture MixedFleetWithoutP1();

// A .tar.gz in memory holding `files` (name, contents) as regular files, names as given (so
// a test can build a hostile one). Up to 1 MiB.
std::string TarGz(const std::vector<std::pair<std::string, std::string>>& files);

// SHA-256 (hex) of `bytes`.
std::string Sha256Hex(const std::string& bytes);

}  // namespace guts::ctl::testing
