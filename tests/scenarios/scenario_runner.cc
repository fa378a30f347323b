#include "tests/scenarios/scenario_runner.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "tests/support/files.h"
#include "tests/support/private_data_dirs.h"
#include "tests/support/sim_agent.h"

namespace guts::testing {
namespace {

std::vector<std::string>& TableRows() {
  static auto* rows = new std::vector<std::string>();
  return *rows;
}

class PrintTable : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("\n| id | mode | verdicts | time to detect | time to clear | false positives |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (const std::string& row : TableRows()) std::printf("%s\n", row.c_str());
  }
};
const auto* const kTable = ::testing::AddGlobalTestEnvironment(new PrintTable);

std::string Secs(absl::Duration d) { return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d)); }

std::string Describe(const v1::Incident& inc) {
  std::vector<std::string> groups;
  for (const auto& g : inc.groups()) groups.push_back(absl::StrJoin(g.nodes(), ","));
  return absl::StrCat(
      v1::IncidentKind_Name(inc.kind()), " ", v1::Severity_Name(inc.severity()), " [",
      absl::StrJoin(inc.nodes(), ","), "]",
      groups.empty() ? "" : absl::StrCat(" {", absl::StrJoin(groups, "|"), "}"),
      inc.height() > 0 ? absl::StrCat(" at ", inc.height()) : "",
      inc.episode_count() > 1 ? absl::StrCat(", ", inc.episode_count(), " episodes") : "");
}

// The leader most running nodes name for their current view, and the fleet's highest view and
// height.
struct Consensus {
  std::string leader;
  uint64_t view = 0, height = 0;
};
Consensus Summarize(const nlohmann::json& status) {
  Consensus c;
  std::map<std::string, int> votes;
  for (const auto& n : status.at("nodes")) {
    if (!n.value("running", false)) continue;
    ++votes[n.value("leader", "")];
    c.view = std::max(c.view, n.value("view", uint64_t{0}));
    c.height = std::max(c.height, n.value("height", uint64_t{0}));
  }
  int best = 0;
  for (const auto& [name, count] : votes) {
    if (count > best) std::tie(c.leader, best) = std::tie(name, count);
  }
  return c;
}

// Now on the wall clock as the collector's and agents' logs print it (UTC, milliseconds).
std::string ClockText() { return absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()); }

}  // namespace

double BudgetFactor() {
  const char* f = std::getenv("GUTS_SCENARIO_BUDGET_FACTOR");
  return f != nullptr && std::atof(f) > 0 ? std::atof(f) : 1.0;
}

double CompressedTimeScale() {
  const char* s = std::getenv("GUTS_SCENARIO_TIME_SCALE");
  if (s != nullptr && std::atof(s) > 0) return std::atof(s);
  double load = 0;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  double scale = 0.1;
  if (getloadavg(&load, 1) == 1 && cores > 0) {
    scale *= std::clamp(load / static_cast<double>(cores), 1.0, 5.0);
  }
  std::fprintf(stderr, "compressed time: scale %.2f (load average %.1f on %ld cores)\n", scale,
               load, cores);
  return scale;
}

std::vector<std::string> V(int first, int last) {
  std::vector<std::string> out;
  for (int i = first; i <= last; ++i) out.push_back(absl::StrCat("v", i));
  std::sort(out.begin(), out.end());
  return out;
}

Fleet::Fleet(const std::string& name, const FleetOptions& options) : options_(options) {
  dir_ = FreshTempDir(name);
  base_ = absl::StrCat("127.", options.range, ".0.");
  std::vector<std::string> sim = {BinaryPath("guts-sim"),
                                  "run",
                                  "--nodes",
                                  absl::StrCat(options.nodes),
                                  "--base-ip",
                                  base_ + "0",
                                  "--control-addr",
                                  "127.0.0.1:0",
                                  "--state-dir",
                                  dir_ + "/sim",
                                  "--ready-file",
                                  dir_ + "/sim.ready"};
  if (options.time_scale != 1.0) {
    sim.push_back("--time-scale");
    sim.push_back(absl::StrCat(options.time_scale));
  }
  // The suite's rows were written against simulation mode (the consensus API); a row that
  // wants Simplex passes --mode in its sim_args.
  if (std::find(options.sim_args.begin(), options.sim_args.end(), "--mode") ==
      options.sim_args.end()) {
    sim.insert(sim.end(), {"--mode", "simulation"});
  }
  sim.insert(sim.end(), options.sim_args.begin(), options.sim_args.end());
  sim_ = std::make_unique<ChildProcess>(sim, dir_ + "/sim.log");
  std::vector<std::string> collector = {BinaryPath("guts-collector"),
                                        "--insecure",
                                        "--grpc-addr",
                                        "127.0.0.1:0",
                                        "--http-addr",
                                        "127.0.0.1:0",
                                        "--data-dir",
                                        dir_ + "/collector",
                                        "--ready-file",
                                        dir_ + "/collector.ready"};
  if (options.time_scale != 1.0) {
    absl::Duration stall = options.stall_threshold > absl::ZeroDuration()
                               ? options.stall_threshold
                               : absl::Seconds(120);  // the collector's default
    collector.insert(collector.end(), {"--tick", absl::FormatDuration(Scaled(absl::Seconds(1))),
                                       "--analysis-time-scale", absl::StrCat(options.time_scale),
                                       "--stall-threshold", absl::FormatDuration(Scaled(stall))});
  } else if (options.stall_threshold > absl::ZeroDuration()) {
    collector.push_back("--stall-threshold");
    collector.push_back(absl::FormatDuration(options.stall_threshold));
  }
  collector.insert(collector.end(), options.collector_args.begin(), options.collector_args.end());
  collector_ = std::make_unique<ChildProcess>(collector, dir_ + "/collector.log");
}

absl::Status Fleet::Start() {
  absl::StatusOr<std::string> sim = WaitForReadyFile(dir_ + "/sim.ready", absl::Seconds(20));
  if (!sim.ok()) return sim.status();
  control_ = nlohmann::json::parse(*sim).at("control").get<std::string>();
  absl::StatusOr<std::string> col = WaitForReadyFile(dir_ + "/collector.ready", absl::Seconds(20));
  if (!col.ok()) return col.status();
  grpc_ = nlohmann::json::parse(*col).at("grpc").get<std::string>();
  http_ = nlohmann::json::parse(*col).at("http").get<std::string>();
  for (int i = 1; i <= options_.nodes; ++i) {
    const std::string node = absl::StrCat("v", i);
    if (options_.agents_on.empty() ||
        std::find(options_.agents_on.begin(), options_.agents_on.end(), node) !=
            options_.agents_on.end()) {
      StartAgent(node);
    }
  }
  stub_ = v1::FleetService::NewStub(grpc::CreateChannel(grpc_, grpc::InsecureChannelCredentials()));
  return absl::OkStatus();
}

std::string Fleet::NodeIp(int i) const { return absl::StrCat(base_, i); }

void Fleet::StartAgent(const std::string& node, const std::vector<std::string>& prefix,
                       const std::vector<std::string>& extra_args) {
  agents_.erase(node);  // stops a running one first
  std::vector<std::string> args;
  if (options_.time_scale != 1.0) {
    args = {"--interval", absl::FormatDuration(Scaled(absl::Seconds(1)))};
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  agents_[node] = StartSimAgent(grpc_, dir_, node, NodeIp(std::stoi(node.substr(1))), prefix, args);
}

void Fleet::StopAgent(const std::string& node) { agents_[node]->Stop(9); }

bool Fleet::SignalAgent(const std::string& node, int signal) {
  auto it = agents_.find(node);
  return it != agents_.end() && it->second->Signal(signal);
}

// POSTs the command to the sim's control API from this process. It ran `guts-sim ctl` before:
// on a busy host starting that process took a large part of a second, which stretched a
// compressed run's faults (S01's churn meant to hold a link down 0.07-0.28 s held it 0.76 s,
// 5.4 s of scenario time). The fault's length is the scenario's, not the host's.
absl::Status Fleet::Ctl(const std::vector<std::string>& command) {
  absl::StatusOr<guts::HostPort> addr = guts::ParseHostPort(control_);
  if (!addr.ok()) return addr.status();
  httplib::Client client(addr->host, addr->port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  const absl::Time start = absl::Now();
  httplib::Result res =
      client.Post("/v1/command", nlohmann::json{{"args", command}}.dump(), "application/json");
  const std::string line = absl::StrCat(
      absl::FormatTime("%H:%M:%E3S", start, absl::LocalTimeZone()), " ",
      absl::StrJoin(command, " "), " -> ",
      res ? absl::StrCat(res->status, " ", res->body) : httplib::to_string(res.error()), " (",
      absl::FormatDuration(absl::Now() - start), ")\n");
  std::ofstream(dir_ + "/ctl.log", std::ios::app) << line;
  if (!res || res->status != 200) {
    return absl::InternalError(absl::StrCat("guts-sim control: ", absl::StrJoin(command, " "),
                                            " failed; see ", dir_, "/ctl.log"));
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> Fleet::SimStatus() {
  std::string out = absl::StrCat(dir_, "/status-", ++status_calls_, ".json");
  ChildProcess ctl({BinaryPath("guts-sim"), "ctl", "--control", control_, "status"}, out);
  ctl.Stop(0, absl::Seconds(10));
  std::ifstream in(out);
  nlohmann::json status = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (status.is_discarded() || !status.contains("nodes")) {
    return absl::UnavailableError(absl::StrCat("no status from the sim; see ", out));
  }
  return status;
}

absl::StatusOr<std::vector<v1::Incident>> Fleet::Incidents(bool include_resolved) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::ListIncidentsRequest request;
  request.set_include_resolved(include_resolved);
  request.set_limit(1000);  // the most one answer holds; a scenario opens far fewer
  v1::IncidentList list;
  absl::Time start = absl::Now();
  grpc::Status s = stub_->ListIncidents(&context, request, &list);
  if (s.ok() && list.truncated()) {
    return absl::OutOfRangeError("more than 1000 incidents: the scenario cannot judge them all");
  }
  if (!s.ok()) {
    // A poll that fails is a poll the verdict may have been missed in: say so in the test log.
    std::fprintf(stderr, "%s ListIncidents failed after %s: %d %s\n", ClockText().c_str(),
                 absl::FormatDuration(absl::Now() - start).c_str(), s.error_code(),
                 s.error_message().c_str());
    return absl::UnavailableError(s.error_message());
  }
  return std::vector<v1::Incident>(list.incidents().begin(), list.incidents().end());
}

absl::StatusOr<v1::FleetStatus> Fleet::Status() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::FleetStatus status;
  grpc::Status s = stub_->GetFleetStatus(&context, v1::FleetStatusRequest(), &status);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return status;
}

bool SimplexMode() {
  const char* mode = std::getenv("GUTS_SCENARIO_MODE");
  return mode != nullptr && std::string(mode) == "simplex";
}

bool Fleet::WaitHealthy(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::FleetStatus status;
    // Healthy, and judged: a collector still warming up (its agents arriving) judges nothing
    // yet, and a fault injected then would be seen only once it has.
    if (stub_->GetFleetStatus(&context, v1::FleetStatusRequest(), &status).ok() &&
        status.collector().warming_up().empty() && status.nodes_size() == options_.nodes &&
        std::all_of(status.nodes().begin(), status.nodes().end(), [](const v1::NodeStatus& n) {
          // A validator without an agent has no row of its own to be healthy in.
          return n.unobserved() || (n.state() == v1::HEALTHY && n.height() > 0);
        })) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

void RunScenario(Scenario sc, int range) {
  const double factor = BudgetFactor();
  if (std::find(sc.sim_args.begin(), sc.sim_args.end(), "--data-dir-size") == sc.sim_args.end()) {
    for (const std::string& a : SimDataDirArgs()) sc.sim_args.push_back(a);
  }
  // GUTS_SCENARIO_MODE=simplex runs a row written for either mode in Simplex mode (the
  // production one), on its own loopback range so both modes can run side by side.
  if (SimplexMode() &&
      std::find(sc.sim_args.begin(), sc.sim_args.end(), "--mode") == sc.sim_args.end()) {
    sc.sim_args.insert(sc.sim_args.end(), {"--mode", "simplex"});
    range = SimplexRange(range);
  }
  Fleet fleet(absl::StrCat("scenario-", sc.id), {.nodes = sc.nodes,
                                                 .range = range,
                                                 .stall_threshold = sc.stall_threshold,
                                                 .collector_args = sc.collector_args,
                                                 .sim_args = sc.sim_args,
                                                 .time_scale = sc.time_scale,
                                                 .agents_on = sc.agents_on});
  // Every real-scale wait and budget below goes through T (budgets also through `factor`).
  auto T = [&](absl::Duration d) { return fleet.Scaled(d); };
  const auto poll = std::chrono::microseconds(
      absl::ToInt64Microseconds(std::max(absl::Milliseconds(25), T(absl::Milliseconds(250)))));
  ASSERT_TRUE(fleet.Start().ok()) << "logs in " << fleet.dir();
  // Processes start at the machine's pace, not the simulated one: at least 10 s for that.
  ASSERT_TRUE(fleet.WaitHealthy(std::max(T(absl::Seconds(30)), absl::Seconds(10)) * factor))
      << "logs in " << fleet.dir();
  if (sc.prepare) {
    absl::Status s = sc.prepare(fleet);
    ASSERT_TRUE(s.ok()) << s << "; logs in " << fleet.dir();
  }
  // Settle: the analysis needs a few ticks of history before the fault.
  absl::SleepFor(T(absl::Seconds(5)));

  Consensus before;
  if (sc.kill_leader) {
    absl::StatusOr<nlohmann::json> status = fleet.SimStatus();
    ASSERT_TRUE(status.ok()) << status.status();
    before = Summarize(*status);
    ASSERT_FALSE(before.leader.empty()) << status->dump();
    sc.faults = {{"kill", before.leader}};
    sc.heals = {{"restart", before.leader}};
    sc.stop_agent = before.leader;
    sc.names = {before.leader};
  }

  absl::Time injected = absl::Now();
  std::fprintf(stderr, "%s %s: fault injected\n", ClockText().c_str(), sc.id.c_str());
  for (const auto& f : sc.faults) {
    absl::Status s = fleet.Ctl(f);
    ASSERT_TRUE(s.ok()) << s;
  }
  if (sc.inject) {
    absl::Status s = sc.inject(fleet);
    ASSERT_TRUE(s.ok()) << s;
  }
  if (!sc.stop_agent.empty()) fleet.StopAgent(sc.stop_agent);
  uint64_t height_at_injection = 0;
  if (sc.height_at_injection) {
    absl::StatusOr<nlohmann::json> status = fleet.SimStatus();
    ASSERT_TRUE(status.ok()) << status.status();
    height_at_injection = std::numeric_limits<uint64_t>::max();
    for (const auto& n : status->at("nodes")) {
      if (n.value("running", false)) {
        height_at_injection = std::min(height_at_injection, n.value("height", uint64_t{0}));
      }
    }
  }
  // The ongoing part of the fault, stopped before the heal (or when this function returns).
  struct During {
    std::atomic<bool> stop{false};
    std::thread thread;
    void Join() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
    ~During() { Join(); }
  } during;
  if (sc.during) during.thread = std::thread([&] { sc.during(fleet, during.stop); });

  std::map<std::string, v1::Incident> seen;  // every incident ever listed, by id
  absl::Duration detect = absl::InfiniteDuration();
  std::string verdict = "none";
  absl::Time deadline = injected + (sc.kind == v1::INCIDENT_KIND_UNSPECIFIED
                                        ? T(sc.observe)
                                        : T(sc.detect_budget) * factor + T(absl::Seconds(5)));
  while (absl::Now() < deadline) {
    std::this_thread::sleep_for(poll);
    auto list = fleet.Incidents(true);
    if (!list.ok()) continue;
    for (const auto& inc : *list) {
      seen[inc.id()] = inc;
      if (inc.kind() == sc.kind && inc.state() == v1::OPEN && detect == absl::InfiniteDuration()) {
        detect = absl::Now() - injected;
        verdict = Describe(inc);
      }
    }
    if (detect != absl::InfiniteDuration() &&
        absl::Now() - injected > detect + T(absl::Seconds(3))) {
      break;  // a little longer, so symptoms that would open beside it get their chance
    }
  }

  absl::Time hold_until = absl::Now() + T(sc.hold);
  while (absl::Now() < hold_until) {
    std::this_thread::sleep_for(poll);
    auto list = fleet.Incidents(true);
    if (!list.ok()) continue;
    for (const auto& inc : *list) seen[inc.id()] = inc;
  }

  if (sc.kill_leader) {
    // The dead leader's view times out and the next leader finalizes: the views climb past
    // the blocks, and the height keeps rising.
    Consensus after;
    absl::Time until = absl::Now() + T(absl::Seconds(20)) * factor;
    do {
      absl::StatusOr<nlohmann::json> status = fleet.SimStatus();
      ASSERT_TRUE(status.ok()) << status.status();
      after = Summarize(*status);
    } while (after.view - before.view <= after.height - before.height && absl::Now() < until);
    EXPECT_GT(after.view - before.view, after.height - before.height)
        << "no view change seen; logs in " << fleet.dir();
    EXPECT_GT(after.height, before.height) << "blocks did not resume; logs in " << fleet.dir();
  }

  during.Join();
  // The incidents as they stand under the fault: what the verdict is asserted on. After the
  // heal an incident may name fewer nodes as they recover one by one, before it resolves.
  const std::map<std::string, v1::Incident> under_fault = seen;
  absl::Duration clear = absl::InfiniteDuration();
  if (sc.kind != v1::INCIDENT_KIND_UNSPECIFIED) {
    absl::Time healed = absl::Now();
    for (const auto& h : sc.heals) {
      absl::Status s = fleet.Ctl(h);
      ASSERT_TRUE(s.ok()) << s;
    }
    if (sc.heal) {
      absl::Status s = sc.heal(fleet);
      ASSERT_TRUE(s.ok()) << s;
    }
    if (!sc.stop_agent.empty()) fleet.StartAgent(sc.stop_agent);
    absl::Time clear_deadline = healed + T(absl::Seconds(40)) * factor;
    while (absl::Now() < clear_deadline) {
      std::this_thread::sleep_for(poll);
      auto list = fleet.Incidents(true);
      if (!list.ok()) continue;
      bool open = false;
      for (const auto& inc : *list) {
        seen[inc.id()] = inc;
        open |= inc.state() == v1::OPEN;
      }
      if (!open) {
        clear = absl::Now() - healed;
        break;
      }
    }
    absl::Time watch_until = absl::Now() + T(sc.watch_after_clear);
    while (clear != absl::InfiniteDuration() && absl::Now() < watch_until) {
      std::this_thread::sleep_for(poll);
      auto list = fleet.Incidents(true);
      if (!list.ok()) continue;
      for (const auto& inc : *list) seen[inc.id()] = inc;
    }
  }

  if (sc.verify &&
      (sc.kind == v1::INCIDENT_KIND_UNSPECIFIED || clear != absl::InfiniteDuration())) {
    absl::Status s = sc.verify(fleet);
    EXPECT_TRUE(s.ok()) << s << "; logs in " << fleet.dir();
  }

  std::vector<std::string> false_positives, notes;
  const v1::Incident* expected = nullptr;
  for (const auto& [id, inc] : under_fault) {
    if (inc.kind() == sc.kind) {
      expected = &inc;
      break;
    }
  }
  for (const auto& [id, inc] : seen) {
    if (expected != nullptr && id == expected->id()) continue;
    if (sc.tolerated.count(inc.kind()) || sc.required.count(inc.kind())) continue;
    if (inc.severity() == v1::P3 && sc.notes.count(inc.kind())) {
      notes.push_back(Describe(inc));
      continue;
    }
    false_positives.push_back(Describe(inc));
  }
  if (!notes.empty()) absl::StrAppend(&verdict, " (notes: ", absl::StrJoin(notes, "; "), ")");
  TableRows().push_back(absl::StrCat(
      "| ", sc.id, " | ",
      std::find(sc.sim_args.begin(), sc.sim_args.end(), "simplex") != sc.sim_args.end()
          ? "simplex"
          : "simulation",
      sc.agents_on.empty() ? "" : absl::StrCat(", agents on ", absl::StrJoin(sc.agents_on, ",")),
      " | ", verdict, " | ", detect == absl::InfiniteDuration() ? "-" : Secs(detect), " | ",
      clear == absl::InfiniteDuration() ? "-" : Secs(clear), " | ",
      false_positives.empty() ? "none" : absl::StrJoin(false_positives, "; "), " |"));

  EXPECT_TRUE(false_positives.empty())
      << absl::StrJoin(false_positives, "; ") << "\nlogs in " << fleet.dir();
  // No scenario exhausts the collector's descriptors: a restart of its gRPC server (which
  // cancels every agent stream) is a fault of the collector, whatever the verdicts said.
  EXPECT_EQ(ReadFileOrEmpty(fleet.dir() + "/collector.log").find("restarting the gRPC server"),
            std::string::npos)
      << "the collector's port guard restarted its gRPC server; logs in " << fleet.dir();
  if (sc.kind == v1::INCIDENT_KIND_UNSPECIFIED) return;
  ASSERT_NE(expected, nullptr) << "no " << v1::IncidentKind_Name(sc.kind) << "; logs in "
                               << fleet.dir();
  EXPECT_LE(detect, T(sc.detect_budget) * factor) << "logs in " << fleet.dir();
  EXPECT_EQ(expected->severity(), sc.severity) << Describe(*expected);
  if (!sc.names.empty()) {
    EXPECT_EQ(std::vector<std::string>(expected->nodes().begin(), expected->nodes().end()),
              sc.names)
        << Describe(*expected);
  }
  for (v1::IncidentKind kind : sc.required) {
    bool opened = std::any_of(under_fault.begin(), under_fault.end(),
                              [&](const auto& entry) { return entry.second.kind() == kind; });
    EXPECT_TRUE(opened) << "no " << v1::IncidentKind_Name(kind) << " beside " << Describe(*expected)
                        << "; logs in " << fleet.dir();
  }
  if (!sc.links.empty()) {
    std::vector<std::pair<std::string, std::string>> links;
    for (const v1::Link& l : expected->links()) links.emplace_back(l.from(), l.to());
    EXPECT_EQ(links, sc.links) << Describe(*expected);
  }
  // The episodes as they stand at the end (a reopen after the heal counts too), and under the
  // fault: the last episode the row expects must have been reported before the heal.
  const v1::Incident& last_seen = seen.at(expected->id());
  EXPECT_EQ(static_cast<int>(std::max<uint32_t>(last_seen.episode_count(), 1)), sc.episodes)
      << "episodes of " << Describe(last_seen) << "; logs in " << fleet.dir();
  if (sc.episodes > 1) {
    EXPECT_EQ(static_cast<int>(expected->episode_count()), sc.episodes)
        << "under the fault: " << Describe(*expected);
    EXPECT_EQ(expected->state(), v1::OPEN) << "under the fault: " << Describe(*expected);
  }
  if (sc.height_at_injection) {
    EXPECT_EQ(expected->height(), height_at_injection) << Describe(*expected);
    for (const v1::NodeGroup& g : expected->groups()) {
      EXPECT_EQ(g.height(), height_at_injection) << Describe(*expected);
    }
  }
  if (!sc.summary_contains.empty()) {
    EXPECT_NE(expected->summary().find(sc.summary_contains), std::string::npos)
        << expected->summary();
  }
  if (!sc.groups.empty()) {
    std::vector<std::vector<std::string>> groups;
    for (const auto& g : expected->groups())
      groups.emplace_back(g.nodes().begin(), g.nodes().end());
    std::sort(groups.begin(), groups.end());
    EXPECT_EQ(groups, sc.groups) << Describe(*expected);
  }
  EXPECT_LE(clear, T(absl::Seconds(30)) * factor) << "logs in " << fleet.dir();
}

}  // namespace guts::testing
