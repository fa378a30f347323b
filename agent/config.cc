#include "agent/config.h"

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/host_port.h"
#include "common/version.h"
#include "yaml-cpp/yaml.h"

namespace guts::agent {
namespace {

// Every setting as text first, so that the YAML file, the environment and the flags all go
// through the same validation below and errors name the setting the operator typed.
struct RawSettings {
  std::string collector, node_id, node_api, node_p2p_addr, node_data_dir, node_log_file,
      node_config, journal_unit, state_dir, interval, http_addr, role, spool_max_bytes,
      reconnect_max_delay, tls_cert, tls_key, tls_ca, log_level, node_process_name, config;
  std::vector<std::string> labels;
  bool insecure = false;
};

std::string EnvName(const std::string& flag) {
  return "GUTS_AGENT_" + absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}}));
}

// The value of --config / GUTS_AGENT_CONFIG, found before the full parse so that the file's
// values can become the defaults the flags and environment override.
std::string FindConfigPath(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
    if (arg.rfind("--config=", 0) == 0) return arg.substr(9);
  }
  const char* env = std::getenv("GUTS_AGENT_CONFIG");
  return env != nullptr ? env : "";
}

absl::Status ApplyYaml(const std::string& path, RawSettings& raw,
                       const std::map<std::string, std::string*>& strings) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": not a YAML mapping"));
  }
  for (const auto& entry : root) {
    std::string key = absl::StrReplaceAll(entry.first.as<std::string>(), {{"_", "-"}});
    const YAML::Node& value = entry.second;
    try {
      if (key == "labels") {
        if (value.IsMap()) {
          for (const auto& kv : value) {
            raw.labels.push_back(kv.first.as<std::string>() + "=" + kv.second.as<std::string>());
          }
        } else {
          for (const auto& item : value) raw.labels.push_back(item.as<std::string>());
        }
      } else if (key == "insecure") {
        raw.insecure = value.as<bool>();
      } else if (auto it = strings.find(key); it != strings.end() && key != "config") {
        *it->second = value.as<std::string>();
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": unknown setting '",
                                                       entry.first.as<std::string>(), "'"));
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config ", path, ": setting '", key, "': ", e.what()));
    }
  }
  return absl::OkStatus();
}

absl::Status Invalid(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
}

absl::Status CheckHostPort(absl::string_view flag, const std::string& value) {
  absl::StatusOr<HostPort> hp = ParseHostPort(value);
  return hp.ok() ? absl::OkStatus() : Invalid(flag, hp.status().message());
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(const std::string& text) {
  static const std::vector<std::pair<std::string, uint64_t>> kUnits = {{"KiB", 1ull << 10},
                                                                       {"MiB", 1ull << 20},
                                                                       {"GiB", 1ull << 30},
                                                                       {"KB", 1000},
                                                                       {"MB", 1000000},
                                                                       {"GB", 1000000000},
                                                                       {"B", 1}};
  std::string number = text;
  uint64_t unit = 1;
  for (const auto& [suffix, factor] : kUnits) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      number = text.substr(0, text.size() - suffix.size());
      unit = factor;
      break;
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(number, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a size (e.g. 64MiB, 512KiB, 1000000)"));
  }
  return value * unit;
}

absl::StatusOr<AgentConfig> ParseAgentConfig(int argc, const char* const* argv) {
  AgentConfig defaults;
  RawSettings raw{
      .collector = defaults.collector,
      .node_api = defaults.node_api,
      .node_p2p_addr = defaults.node_p2p_addr,
      .node_data_dir = defaults.node_data_dir,
      .node_config = defaults.node_config,
      .state_dir = defaults.state_dir,
      .interval = "1s",
      .http_addr = defaults.http_addr,
      .role = defaults.role,
      .spool_max_bytes = "64MiB",
      .reconnect_max_delay = "10s",
      .log_level = defaults.log_level,
      .node_process_name = defaults.node_process_name,
  };
  const std::map<std::string, std::string*> strings = {
      {"collector", &raw.collector},
      {"node-id", &raw.node_id},
      {"node-api", &raw.node_api},
      {"node-p2p-addr", &raw.node_p2p_addr},
      {"node-data-dir", &raw.node_data_dir},
      {"node-log-file", &raw.node_log_file},
      {"node-config", &raw.node_config},
      {"journal-unit", &raw.journal_unit},
      {"state-dir", &raw.state_dir},
      {"interval", &raw.interval},
      {"http-addr", &raw.http_addr},
      {"role", &raw.role},
      {"spool-max-bytes", &raw.spool_max_bytes},
      {"reconnect-max-delay", &raw.reconnect_max_delay},
      {"tls-cert", &raw.tls_cert},
      {"tls-key", &raw.tls_key},
      {"tls-ca", &raw.tls_ca},
      {"log-level", &raw.log_level},
      {"node-process-name", &raw.node_process_name},
      {"config", &raw.config},
  };

  std::string config_path = FindConfigPath(argc, argv);
  if (!config_path.empty()) {
    if (absl::Status s = ApplyYaml(config_path, raw, strings); !s.ok()) return s;
  }

  CLI::App app{"guts-agent: watches one Guts node and streams snapshots to the collector"};
  app.set_version_flag("--version", std::string(kVersion));
  for (const auto& [flag, target] : strings) {
    app.add_option("--" + flag, *target)->envname(EnvName(flag))->capture_default_str();
  }
  app.add_option("--label", raw.labels, "k=v label sent in the hello (repeatable)")
      ->envname(EnvName("label"))
      ->delimiter(',');
  app.add_flag("--insecure", raw.insecure, "plain-text gRPC (development only)")
      ->envname(EnvName("insecure"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return absl::FailedPreconditionError(app.help());
  } catch (const CLI::CallForVersion& e) {
    return absl::FailedPreconditionError(std::string(kVersion) + "\n");
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }

  AgentConfig config;
  // "a:7400,b:7400": the agent streams to every collector in the list (independent replicas).
  for (absl::string_view part : absl::StrSplit(raw.collector, ',', absl::SkipWhitespace())) {
    std::string address(absl::StripAsciiWhitespace(part));
    if (absl::Status s = CheckHostPort("collector", address); !s.ok()) return s;
    for (const std::string& seen : config.collectors) {
      if (seen == address) return Invalid("collector", absl::StrCat(address, " is listed twice"));
    }
    config.collectors.push_back(std::move(address));
  }
  if (config.collectors.empty()) return Invalid("collector", "no collector address given");
  config.collector = config.collectors.front();
  config.node_id = raw.node_id;
  if (config.node_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    config.node_id = host;
  }
  if (!raw.node_api.starts_with("http://") && !raw.node_api.starts_with("https://")) {
    return Invalid("node-api", absl::StrCat("'", raw.node_api, "' is not an http(s):// URL"));
  }
  config.node_api = raw.node_api;
  while (config.node_api.ends_with("/")) config.node_api.pop_back();
  if (absl::Status s = CheckHostPort("node-p2p-addr", raw.node_p2p_addr); !s.ok()) return s;
  config.node_p2p_addr = raw.node_p2p_addr;
  config.node_data_dir = raw.node_data_dir;
  if (!raw.node_log_file.empty() && !raw.journal_unit.empty()) {
    return Invalid("node-log-file", "give either --node-log-file or --journal-unit, not both");
  }
  config.node_log_file = raw.node_log_file;
  config.node_config = raw.node_config == "none" ? "" : raw.node_config;
  config.node_config_explicit = raw.node_config != defaults.node_config;
  config.journal_unit = raw.journal_unit;
  if (raw.state_dir.empty()) return Invalid("state-dir", "must not be empty");
  config.state_dir = raw.state_dir;
  if (!absl::ParseDuration(raw.interval, &config.interval) ||
      config.interval < absl::Milliseconds(10) || config.interval > absl::Hours(1)) {
    return Invalid("interval",
                   absl::StrCat("'", raw.interval, "' is not a duration between 10ms and 1h"));
  }
  if (absl::Status s = CheckHostPort("http-addr", raw.http_addr); !s.ok()) return s;
  config.http_addr = raw.http_addr;
  if (raw.role != "validator" && raw.role != "observer") {
    return Invalid("role", absl::StrCat("'", raw.role, "' is not validator or observer"));
  }
  config.role = raw.role;
  for (const std::string& label : raw.labels) {
    std::vector<std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty()) {
      return Invalid("label", absl::StrCat("'", label, "' is not k=v"));
    }
    config.labels[kv[0]] = kv[1];
  }
  absl::StatusOr<uint64_t> spool = ParseByteSize(raw.spool_max_bytes);
  if (!spool.ok()) return Invalid("spool-max-bytes", spool.status().message());
  if (*spool < (64u << 10)) return Invalid("spool-max-bytes", "must be at least 64KiB");
  config.spool_max_bytes = *spool;
  if (!absl::ParseDuration(raw.reconnect_max_delay, &config.reconnect_max_delay) ||
      config.reconnect_max_delay < absl::Seconds(1) ||
      config.reconnect_max_delay > absl::Minutes(10)) {
    return Invalid("reconnect-max-delay", absl::StrCat("'", raw.reconnect_max_delay,
                                                       "' is not a duration between 1s and 10m"));
  }
  config.tls = TlsOptions{.insecure = raw.insecure,
                          .cert_file = raw.tls_cert,
                          .key_file = raw.tls_key,
                          .ca_file = raw.tls_ca};
  if (!raw.insecure && (raw.tls_cert.empty() || raw.tls_key.empty() || raw.tls_ca.empty())) {
    return Invalid("tls-cert",
                   "give --tls-cert, --tls-key and --tls-ca (or --insecure for plain text)");
  }
  config.log_level = raw.log_level;
  config.node_process_name = raw.node_process_name;
  return config;
}

}  // namespace guts::agent
