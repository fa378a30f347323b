// guts-collector: see collector/collector.h and the README.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "collector/bundles/collector_bundles.h"
#include "collector/collector.h"
#include "collector/config.h"
#include "common/logging.h"
#include "common/mutex_checks.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

// jemalloc's options, read once when it starts (ignored when the collector is built with
// glibc's malloc). One arena instead of jemalloc's default of four per CPU: the collector's
// allocations come from a handful of threads (gRPC's, the writer, the analysis), each with its
// own thread cache in front of the arena, and each extra arena keeps its own freed pages and
// partly used runs. At 10 000 streams two arenas instead of eight took ~40 MiB off the peak,
// and one instead of two another ~13 MiB, with no measurable CPU cost at 10 000 or 20 000
// snapshots a second (docs/benchmarks.md, "10 000 streams, third pass" and session 26). The
// MALLOC_CONF environment variable still overrides it.
extern "C" {
const char* malloc_conf = "narenas:1";
}

namespace {

// Every agent stream is a descriptor: take all the kernel allows (the hard limit), so a flood
// of connections meets the collector's own connection limits long before EMFILE.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (limit.rlim_cur != before && setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open-file limit from {}", before);
    return;
  }
  spdlog::info("open-file limit {}", limit.rlim_cur);
}

// The connection limit the descriptors allow: a quarter is kept for RocksDB, HTTP and the rest.
uint32_t ConnectionsTheLimitAllows(uint32_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  rlim_t allowed = limit.rlim_cur > 256 ? (limit.rlim_cur - 128) * 3 / 4 : limit.rlim_cur / 2;
  return static_cast<uint32_t>(std::min<rlim_t>(wanted, allowed));
}

// Written to a temporary name and renamed, so a reader never sees half a file.
bool WriteReadyFile(const std::string& path, const std::string& grpc, const std::string& http) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << nlohmann::json{{"grpc", grpc}, {"http", http}}.dump() << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  guts::SkipMutexDeadlockDetection();
  // Block the stop signals before any thread starts, so that only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::optional<guts::collector::CollectorConfig>> config =
      guts::collector::ParseCollectorConfig(argc, argv);
  if (!config.ok()) {
    std::cerr << "guts-collector: " << config.status().message() << "\n";
    return 2;
  }
  if (!config->has_value()) return 0;
  guts::collector::CollectorConfig& c = **config;
  if (absl::Status s = guts::InitLogging("guts-collector", c.log_level); !s.ok()) {
    std::cerr << "guts-collector: " << s.message() << "\n";
    return 2;
  }
  RaiseOpenFileLimit();
  if (uint32_t allowed = ConnectionsTheLimitAllows(c.max_connections);
      allowed < c.max_connections) {
    spdlog::warn("--max-connections {} lowered to {}: the open-file limit allows no more",
                 c.max_connections, allowed);
    c.max_connections = allowed;
    c.max_connections_per_peer = std::min(c.max_connections_per_peer, allowed);
  }
  if (c.tls.insecure) spdlog::warn("running without TLS (--insecure)");

  absl::StatusOr<std::unique_ptr<guts::collector::Collector>> collector =
      guts::collector::Collector::Start(
          c, [&c](guts::collector::Store* store, guts::collector::AgentServiceImpl* agents) {
            guts::collector::BundleOptions options;
            options.archive_checks = {.checks = c.archive_checks,
                                      .max_waiting = c.max_waiting_archive_checks};
            return guts::collector::MakeCollectorBundles(store, agents, std::move(options));
          });
  if (!collector.ok()) {
    spdlog::error("cannot start: {}", collector.status().ToString());
    return 1;
  }
  spdlog::info("serving gRPC on {}, HTTP on {}, store in {}", (*collector)->grpc_address(),
               (*collector)->http_address(), c.data_dir);
  if (!c.ready_file.empty() &&
      !WriteReadyFile(c.ready_file, (*collector)->grpc_address(), (*collector)->http_address())) {
    spdlog::error("cannot write --ready-file {}", c.ready_file);
    return 1;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: shutting down", signal_number);
  (*collector)->Shutdown();
  spdlog::info("stopped");
  return 0;
}
