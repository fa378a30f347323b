#include "sim/node_config_file.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace guts::sim {

absl::Status WriteNodeConfigFile(const std::string& path, const NodeConfigSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "api" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "addr" << YAML::Value << YAML::DoubleQuoted << spec.api_addr;
  out << YAML::EndMap;
  out << YAML::Key << "p2p" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << true;
  out << YAML::Key << "addr" << YAML::Value << YAML::DoubleQuoted << spec.p2p_addr;
  out << YAML::Key << "private_key" << YAML::Value << YAML::DoubleQuoted << spec.private_key;
  out << YAML::Key << "allowed_peers" << YAML::Value << YAML::BeginSeq;
  for (const std::string& peer : spec.allowed_peers) out << YAML::DoubleQuoted << peer;
  out << YAML::EndSeq;
  out << YAML::Key << "bootstrappers" << YAML::Value << YAML::BeginSeq;
  for (const std::string& b : spec.bootstrappers) out << YAML::DoubleQuoted << b;
  out << YAML::EndSeq;
  out << YAML::EndMap;
  out << YAML::Key << "consensus" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << true;
  out << YAML::Key << "use_simplex_bft" << YAML::Value << spec.use_simplex_bft;
  out << YAML::Key << "block_time_ms" << YAML::Value << spec.block_time_ms;
  out << YAML::EndMap;
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "data_dir" << YAML::Value << YAML::DoubleQuoted << spec.data_dir;
  out << YAML::EndMap;
  out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << "info";
  out << YAML::Key << "format" << YAML::Value << spec.log_format;
  out << YAML::EndMap;
  out << YAML::EndMap;

  std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::trunc);
    file << "# Written by guts-sim, laid out like the Guts node's config.yaml.\n"
         << out.c_str() << "\n";
    if (!file) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot write ", path, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace guts::sim
