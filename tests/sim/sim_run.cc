#include "tests/sim/sim_run.h"

#include <httplib.h>

#include <algorithm>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/host_port.h"

namespace guts::sim {

SimRun::SimRun(const std::string& name, const std::string& base_ip, int nodes,
               std::vector<std::string> extra_args)
    : dir_(guts::testing::FreshTempDir(name)), base_ip_(base_ip) {
  std::vector<std::string> argv = {guts::testing::BinaryPath("guts-sim"),
                                   "run",
                                   "--nodes",
                                   std::to_string(nodes),
                                   "--base-ip",
                                   base_ip,
                                   "--control-addr",
                                   "127.0.0.1:0",
                                   "--state-dir",
                                   dir_ + "/state",
                                   "--ready-file",
                                   dir_ + "/ready.json"};
  for (size_t i = 0; i + 1 < extra_args.size(); ++i) {
    if (extra_args[i] == "--time-scale") absl::SimpleAtod(extra_args[i + 1], &scale_);
  }
  // Simplex is the sim's default; these tests assert simulation mode unless they ask.
  if (std::find(extra_args.begin(), extra_args.end(), "--mode") == extra_args.end()) {
    argv.insert(argv.end(), {"--mode", "simulation"});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<guts::testing::ChildProcess>(argv, dir_ + "/sim.log");
  if (!process_->ok()) {
    status_ = absl::InternalError(process_->error());
    return;
  }
  absl::StatusOr<std::string> ready =
      guts::testing::WaitForReadyFile(dir_ + "/ready.json", absl::Seconds(20));
  if (!ready.ok()) {
    status_ = absl::Status(ready.status().code(),
                           absl::StrCat(ready.status().message(), " (see ", dir_, "/sim.log)"));
    return;
  }
  control_ = nlohmann::json::parse(*ready)["control"].get<std::string>();
}

std::string SimRun::Ip(int i) const {
  unsigned a, b, c, d;
  std::sscanf(base_ip_.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  uint32_t v = ((a << 24) | (b << 16) | (c << 8) | d) + static_cast<uint32_t>(i) + 1;
  return absl::StrCat(v >> 24, ".", (v >> 16) & 255, ".", (v >> 8) & 255, ".", v & 255);
}

absl::StatusOr<nlohmann::json> SimRun::Ctl(const std::vector<std::string>& args) {
  absl::StatusOr<HostPort> control = ParseHostPort(control_);
  if (!control.ok()) return control.status();
  httplib::Client client(control->host, control->port);
  client.set_read_timeout(10);
  auto res = client.Post("/v1/command", nlohmann::json{{"args", args}}.dump(), "application/json");
  if (!res) return absl::UnavailableError("control API unreachable");
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    return absl::InvalidArgumentError(body.is_object() ? body.value("error", res->body)
                                                       : res->body);
  }
  return body;
}

absl::StatusOr<std::pair<int, nlohmann::json>> SimRun::Get(int i, const std::string& path,
                                                           std::string* raw) {
  httplib::Client client(Ip(i), 8080);
  client.set_connection_timeout(2);
  client.set_read_timeout(2);
  auto res = client.Get(path.c_str());
  if (!res) return absl::UnavailableError(absl::StrCat("GET ", Ip(i), path, " failed"));
  if (raw != nullptr) *raw = res->body;
  return std::pair{res->status, nlohmann::json::parse(res->body, nullptr, false)};
}

uint64_t SimRun::Height(int i) {
  auto r = Get(i, "/api/consensus/status");
  return r.ok() ? r->second.value("finalized_height", uint64_t{0}) : 0;
}

uint64_t SimRun::View(int i) {
  auto r = Get(i, "/api/consensus/status");
  return r.ok() ? r->second.value("view", uint64_t{0}) : 0;
}

std::string SimRun::BlockIdAt(int i, uint64_t height) {
  auto r = Get(i, "/api/consensus/blocks");
  if (!r.ok() || !r->second.is_array()) return "";
  for (const auto& b : r->second) {
    if (b.value("height", uint64_t{0}) == height) return b.value("block_id", "");
  }
  return "";
}

long LastReceiveMs(const std::string& to_ip, const std::string& from_ip, int port) {
  guts::testing::ShellResult ss = guts::testing::Shell(
      absl::StrCat("ss -tinH state established src ", to_ip, ":", port, " dst ", from_ip));
  const std::string& out = ss.output;
  if (ss.exit_code != 0 || absl::StripAsciiWhitespace(out).empty()) return -1;
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(lastrcv:(\d+))"))) return 0;
  return std::stol(m[1]);
}

}  // namespace guts::sim
