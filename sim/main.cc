// guts-sim: a simulated Guts network (run) and its fault-injection client (ctl).
//   guts-sim run --nodes 7 [--base-ip 127.0.0.10] [--api-port 8080] [--p2p-port 9000]
//       [--control-addr 127.0.0.1:7070] [--state-dir DIR] [--mode simplex|simulation]
//       [--log-format json|pretty]
//       [--scenario FILE] [--weights 100,100,...] [--block-time 1s] [--time-scale 1.0]
//       [--heartbeat 500ms] [--peers-per-node K] [--netfilter] [--data-dir-size 64m]
//       [--ready-file PATH]
//   guts-sim ctl [--control ADDR] <command...>   (see fault_command.h)
#include <httplib.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/mutex_checks.h"
#include "sim/control_api.h"
#include "sim/fault_command.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/scenario_file.h"
#include "sim/shard.h"

namespace guts::sim {
namespace {

struct RunFlags {
  SimOptions options;
  std::string mode = "simplex";
  std::string log_format = "json";
  std::string weights;
  std::string block_time = "1s";
  std::string heartbeat = "500ms";
};

absl::Status Finish(RunFlags& f) {
  SimOptions& o = f.options;
  if (f.mode == "simulation") {
    o.mode = ApiMode::kSimulation;
  } else if (f.mode == "simplex") {
    o.mode = ApiMode::kSimplex;
  } else {
    return absl::InvalidArgumentError("--mode must be simulation or simplex");
  }
  if (f.log_format == "json") {
    o.log_format = LogFormat::kJson;
  } else if (f.log_format == "pretty") {
    o.log_format = LogFormat::kPretty;
  } else {
    return absl::InvalidArgumentError("--log-format must be json or pretty");
  }
  if (!absl::ParseDuration(f.block_time, &o.block_time) || o.block_time <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("bad --block-time '", f.block_time, "'"));
  }
  if (!absl::ParseDuration(f.heartbeat, &o.heartbeat) || o.heartbeat <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("bad --heartbeat '", f.heartbeat, "'"));
  }
  if (!(o.time_scale > 0)) return absl::InvalidArgumentError("--time-scale must be > 0");
  if (!f.weights.empty()) {
    for (absl::string_view w : absl::StrSplit(f.weights, ',')) {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(w, &v) || v == 0) {
        return absl::InvalidArgumentError(absl::StrCat("bad weight '", w, "' in --weights"));
      }
      o.weights.push_back(v);
    }
  }
  return absl::OkStatus();
}

// Sockets are the simulator's main resource: use everything the hard limit allows.
void RaiseFileLimit() {
  struct rlimit lim {};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

absl::Status WriteReadyFile(const std::string& path, const nlohmann::json& ready) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << ready.dump() << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", ec.message()));
  return absl::OkStatus();
}

// Schedules every step of the scenario on the loop, relative to now, scaled.
void RunScenario(asio::io_context& io, const ControlApi::Apply& apply, const Scenario& scenario,
                 double scale, std::vector<std::unique_ptr<asio::steady_timer>>& timers) {
  for (const ScenarioStep& step : scenario) {
    auto timer = std::make_unique<asio::steady_timer>(io);
    timer->expires_after(absl::ToChronoNanoseconds(step.at * scale));
    timer->async_wait([&apply, step](std::error_code ec) {
      if (ec) return;
      absl::StatusOr<nlohmann::json> r = apply(step.command);
      if (r.ok()) {
        spdlog::info("scenario line {}: {}", step.line, step.command.text);
      } else {
        spdlog::error("scenario line {}: {}: {}", step.line, step.command.text,
                      std::string(r.status().message()));
      }
    });
    timers.push_back(std::move(timer));
  }
}

int Run(RunFlags& flags) {
  absl::Status s = Finish(flags);
  if (!s.ok()) {
    std::cerr << "guts-sim: " << s.message() << "\n";
    return 2;
  }
  const SimOptions& o = flags.options;
  absl::StatusOr<HostPort> control_addr = ParseHostPort(o.control_addr);
  if (!control_addr.ok()) {
    std::cerr << "guts-sim: --control-addr: " << control_addr.status().message() << "\n";
    return 2;
  }
  Scenario scenario;
  if (!o.scenario_file.empty()) {
    absl::StatusOr<Scenario> loaded = LoadScenario(o.scenario_file, o.nodes);
    if (!loaded.ok()) {
      std::cerr << "guts-sim: " << loaded.status().message() << "\n";
      return 2;
    }
    scenario = *std::move(loaded);
  }
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  // Helper processes first: fork before this process has threads or an event loop.
  int shards = ShardsNeeded(o);
  std::vector<std::unique_ptr<ShardProcess>> helpers;
  for (int k = 1; k < shards; ++k) {
    SimOptions slice = o;
    slice.shard = k;
    slice.shard_count = shards;
    absl::StatusOr<std::unique_ptr<ShardProcess>> helper = ShardProcess::Spawn(slice);
    if (!helper.ok()) {
      std::cerr << "guts-sim: " << helper.status().message() << "\n";
      return 1;
    }
    helpers.push_back(*std::move(helper));
  }
  SimOptions mine = o;
  mine.shard_count = shards;

  asio::io_context io(1);
  Network net(io, mine);
  s = net.Start();
  nlohmann::json ready_nodes = net.ReadyJson("")["nodes"];
  for (auto& helper : helpers) {
    if (!s.ok()) break;
    absl::StatusOr<nlohmann::json> nodes = helper->Ready(absl::Seconds(60));
    if (!nodes.ok()) {
      s = nodes.status();
      break;
    }
    for (auto& node : *nodes) ready_nodes.push_back(node);
  }
  if (!s.ok()) {
    std::cerr << "guts-sim: " << s.message() << "\n";
    net.Stop();
    return 1;
  }
  // Every command reaches every process; `status` gathers every process's nodes.
  ControlApi::Apply apply = [&](const FaultCommand& c) -> absl::StatusOr<nlohmann::json> {
    absl::StatusOr<nlohmann::json> reply = ApplyFault(net, c);
    if (!reply.ok()) return reply;
    for (auto& helper : helpers) {
      nlohmann::json request = c.kind == FaultKind::kStatus ? nlohmann::json{{"status", true}}
                                                            : nlohmann::json{{"args", c.words}};
      absl::StatusOr<nlohmann::json> theirs = helper->Call(request);
      if (!theirs.ok()) return theirs.status();
      if (c.kind == FaultKind::kStatus) {
        for (auto& node : (*theirs)["nodes"]) (*reply)["nodes"].push_back(node);
      }
    }
    return reply;
  };
  ControlApi control(io, o.nodes, apply);
  s = control.Listen(control_addr->host, control_addr->port);
  if (!s.ok()) {
    std::cerr << "guts-sim: control API: " << s.message() << "\n";
    net.Stop();
    return 1;
  }
  std::string control_bound =
      FormatHostPort(control_addr->host, static_cast<uint16_t>(control.port()));
  if (!o.ready_file.empty()) {
    s = WriteReadyFile(o.ready_file, {{"control", control_bound}, {"nodes", ready_nodes}});
    if (!s.ok()) {
      std::cerr << "guts-sim: " << s.message() << "\n";
      net.Stop();
      return 1;
    }
  }
  spdlog::info("{} nodes up ({} + 1..{}) in {} process(es), control API on {}", o.nodes, o.base_ip,
               o.nodes, shards, control_bound);
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  RunScenario(io, apply, scenario, o.time_scale, timers);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int signal) {
    spdlog::info("signal {}: stopping", signal);
    for (auto& t : timers) t->cancel();
    control.Close();
    net.Stop();
    for (auto& helper : helpers) helper->Stop();
    io.stop();
  });
  io.run();
  return 0;
}

int Ctl(const std::string& control, const std::vector<std::string>& args) {
  absl::StatusOr<HostPort> addr = ParseHostPort(control);
  if (!addr.ok()) {
    std::cerr << "guts-sim ctl: --control: " << addr.status().message() << "\n";
    return 2;
  }
  if (args.empty()) {
    std::cerr << "guts-sim ctl: missing command; " << kFaultUsage << "\n";
    return 2;
  }
  httplib::Client client(addr->host, addr->port);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  httplib::Result res =
      args == std::vector<std::string>{"status"}
          ? client.Get("/v1/status")
          : client.Post("/v1/command", nlohmann::json{{"args", args}}.dump(), "application/json");
  if (!res) {
    std::cerr << "guts-sim ctl: cannot reach the control API at " << control << ": "
              << httplib::to_string(res.error()) << "\n";
    return 1;
  }
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::cerr << "guts-sim ctl: "
              << (body.is_object() && body.contains("error") ? body["error"].get<std::string>()
                                                             : res->body)
              << "\n";
    return res->status == 400 ? 2 : 1;
  }
  std::cout << (body.is_discarded() ? res->body : body.dump(2)) << "\n";
  return 0;
}

}  // namespace
}  // namespace guts::sim

int main(int argc, char** argv) {
  guts::SkipMutexDeadlockDetection();
  using guts::sim::RunFlags;
  CLI::App app{"guts-sim: a simulated Guts network with real TCP and fault injection"};
  app.require_subcommand(1);
  RunFlags flags;
  guts::sim::SimOptions& o = flags.options;
  CLI::App* run = app.add_subcommand("run", "start a simulated network");
  run->add_option("--nodes", o.nodes, "number of validators v1..vN")->check(CLI::Range(1, 5000));
  run->add_option("--base-ip", o.base_ip, "node i listens on base-ip + i");
  run->add_option("--api-port", o.api_port, "HTTP API port of every node")
      ->check(CLI::Range(0, 65535));
  run->add_option("--p2p-port", o.p2p_port, "P2P port of every node")->check(CLI::Range(1, 65535));
  run->add_option("--control-addr", o.control_addr, "control API HOST:PORT (port 0 allowed)");
  run->add_option("--state-dir", o.state_dir, "logs and data dirs: <dir>/vI/{node.log,data}");
  run->add_option("--mode", flags.mode,
                  "simplex (default, as production: consensus API disabled, facts in the log "
                  "and config.yaml) or simulation (API reports consensus, weighted validators)");
  run->add_option("--log-format", flags.log_format,
                  "node log format: json (default) or pretty (the node's --local text)");
  run->add_option("--scenario", o.scenario_file, "timeline of faults (see fault_command.h)");
  run->add_option("--weights", flags.weights, "comma-separated validator weights");
  run->add_option("--block-time", flags.block_time, "pause between blocks (real scale)");
  run->add_option("--heartbeat", flags.heartbeat, "P2P heartbeat interval (real scale)");
  run->add_option("--time-scale", o.time_scale,
                  "multiplies every simulated duration (0.1 = ten times faster)");
  run->add_option("--peers-per-node", o.peers_per_node,
                  "light mode for large networks: dial K ring neighbours plus chords at "
                  "distances 2^j and relay consensus messages (0 = full mesh)")
      ->check(CLI::NonNegativeNumber);
  run->add_flag("--netfilter", o.netfilter,
                "apply link cuts as nftables rules (inside a private network namespace only)");
  run->add_option("--data-dir-size", o.data_dir_size,
                  "mount a tmpfs of this size on every data dir (private mount namespace only)");
  run->add_option("--ready-file", o.ready_file, "JSON written once every node listens");

  std::string control = "127.0.0.1:7070";
  std::vector<std::string> ctl_args;
  CLI::App* ctl = app.add_subcommand("ctl", "inject or heal a fault in a running network");
  ctl->add_option("--control", control, "control API HOST:PORT");
  ctl->add_option("command", ctl_args, guts::sim::kFaultUsage)->required();
  ctl->prefix_command(false);
  ctl->allow_extras(false);

  CLI11_PARSE(app, argc, argv);
  guts::InitLogging("guts-sim", "info").IgnoreError();
  if (run->parsed()) return guts::sim::Run(flags);
  return guts::sim::Ctl(control, ctl_args);
}
