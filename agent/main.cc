// guts-agent: watches one Guts node and streams its snapshots to the collector.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "absl/strings/str_join.h"
#include "agent/agent.h"
#include "agent/bundle/agent_bundle_handler.h"
#include "agent/config.h"
#include "agent/sources/registry.h"
#include "common/host_port.h"
#include "common/http_server.h"
#include "common/logging.h"
#include "common/mutex_checks.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  guts::SkipMutexDeadlockDetection();
  // glibc gives each thread that allocates its own malloc arena; with a dozen mostly idle
  // threads (sources, stream, HTTP, gRPC) that is megabytes of RSS for nothing. Two arenas are
  // plenty at one snapshot a second and keep the agent inside its memory budget.
  mallopt(M_ARENA_MAX, 2);
  absl::StatusOr<guts::agent::AgentConfig> config = guts::agent::ParseAgentConfig(argc, argv);
  if (!config.ok()) {
    if (absl::IsFailedPrecondition(config.status())) {  // --help / --version
      std::cout << config.status().message();
      return 0;
    }
    std::cerr << "guts-agent: " << config.status().message() << "\n";
    return 2;
  }
  if (absl::Status s = guts::InitLogging("guts-agent", config->log_level); !s.ok()) {
    std::cerr << "guts-agent: " << s.message() << "\n";
    return 2;
  }
  if (config->tls.insecure) spdlog::warn("running without TLS (--insecure)");
  if (config->node_log_file.empty() && config->journal_unit.empty()) {
    spdlog::warn("neither --node-log-file nor --journal-unit given: the node_log source is off");
  }

  // Block the stop signals before any thread starts, so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<guts::agent::Agent>> agent =
      guts::agent::Agent::Create(*config, guts::agent::BuildSources(*config));
  if (!agent.ok()) {
    spdlog::critical("{}", std::string(agent.status().message()));
    return 1;
  }

  // /healthz and /metrics: two workers are enough for a probe and a scrape at once, and each
  // idle worker is a thread stack of resident memory.
  guts::HttpServer http(guts::HttpServerOptions{.threads = 2});
  guts::agent::Agent* raw = agent->get();
  http.Get("/healthz", [] { return guts::HttpResponse{200, "text/plain", "ok\n"}; });
  http.Get("/metrics", [raw] {
    return guts::HttpResponse{200, "text/plain; version=0.0.4", raw->metrics().Serialize()};
  });
  // LoadConfig checked the address.
  const guts::HostPort http_addr =
      guts::ParseHostPort(config->http_addr).value_or(guts::HostPort{});
  if (absl::Status s = http.Start(http_addr.host, http_addr.port); !s.ok()) {
    spdlog::critical("--http-addr {}: {}", config->http_addr, std::string(s.message()));
    return 1;
  }
  spdlog::info("guts-agent for node {} (next seq {}): collectors {}, http {}", config->node_id,
               (*agent)->spool().NextSeq(), absl::StrJoin(guts::agent::CollectorList(*config), ","),
               guts::FormatHostPort(http_addr.host, static_cast<uint16_t>(http.port())));

  (*agent)->SetCommandHandler(guts::bundle::MakeAgentBundleHandler(*config, agent->get()));
  (*agent)->Start();
  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {}: stopping", signal);
  (*agent)->Stop();
  http.Stop();
  // Everything spooled is already on disk. Leave without destructors: a source stuck in a
  // system call (a hung mount, say) would otherwise keep the agent from ever exiting.
  spdlog::shutdown();
  _exit(0);
}
