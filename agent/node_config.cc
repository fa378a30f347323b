#include "agent/node_config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <exception>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/host_port.h"
#include "yaml-cpp/yaml.h"

namespace guts::agent {
namespace {

namespace v1 = ::guts::diag::v1;

// Lowercase hex of an ed25519 public key (32 bytes), or "" when `text` is not one.
std::string NormalizeKey(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  absl::ConsumePrefix(&text, "0x");
  if (text.size() != 64) return "";
  for (char c : text) {
    if (!absl::ascii_isxdigit(c)) return "";
  }
  return absl::AsciiStrToLower(text);
}

// "ip:port" / "[v6]:port" with a port other than 0.
bool IsHostPort(absl::string_view addr) {
  absl::StatusOr<HostPort> hp = ParseHostPort(addr);
  return hp.ok() && hp->port > 0;
}

std::string Scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

bool Flag(const YAML::Node& node) {
  if (!node || !node.IsScalar()) return false;
  try {
    return node.as<bool>();
  } catch (const YAML::Exception&) {
    return false;
  }
}

}  // namespace

std::string Ed25519PublicKeyHex(absl::string_view private_key_hex) {
  absl::string_view hex = absl::StripAsciiWhitespace(private_key_hex);
  absl::ConsumePrefix(&hex, "0x");
  if (hex.size() != 64) return "";
  std::array<unsigned char, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) {
    int hi = absl::ascii_isdigit(hex[2 * i]) ? hex[2 * i] - '0'
                                             : absl::ascii_tolower(hex[2 * i]) - 'a' + 10;
    int lo = absl::ascii_isdigit(hex[2 * i + 1]) ? hex[2 * i + 1] - '0'
                                                 : absl::ascii_tolower(hex[2 * i + 1]) - 'a' + 10;
    if (!absl::ascii_isxdigit(hex[2 * i]) || !absl::ascii_isxdigit(hex[2 * i + 1])) {
      OPENSSL_cleanse(seed.data(), seed.size());
      return "";
    }
    seed[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
      &EVP_PKEY_free);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!key) return "";
  std::array<unsigned char, 32> pub{};
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size()) {
    return "";
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : pub) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

v1::NodeConfig ParseNodeConfig(absl::string_view yaml_text, const std::string& path) {
  v1::NodeConfig config;
  config.set_path(path);
  if (yaml_text.size() > kMaxNodeConfigBytes) {
    config.set_error(absl::StrCat("larger than ", kMaxNodeConfigBytes, " bytes"));
    return config;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const std::exception& e) {
    // yaml-cpp's messages name a position and a reason, never the document's text.
    config.set_error(absl::StrCat("not YAML: ", e.what()));
    return config;
  }
  if (!root.IsMap()) {
    config.set_error("not a YAML mapping");
    return config;
  }
  std::vector<std::string> problems;
  try {
    YAML::Node p2p = root["p2p"];
    YAML::Node consensus = root["consensus"];
    config.set_consensus_enabled(Flag(consensus["enabled"]));
    config.set_use_simplex_bft(Flag(consensus["use_simplex_bft"]));
    std::string listen = Scalar(p2p["addr"]);
    if (listen.empty()) listen = Scalar(p2p["listen_addr"]);
    config.set_p2p_listen_addr(listen.substr(0, 256));

    if (YAML::Node secret = p2p["private_key"]; secret && secret.IsScalar()) {
      std::string value = secret.Scalar();
      std::string public_key = Ed25519PublicKeyHex(value);
      OPENSSL_cleanse(value.data(), value.size());
      if (public_key.empty()) {
        problems.push_back("p2p.private_key is not a 32-byte ed25519 seed in hex");
      }
      config.set_public_key(public_key);
    }

    // Bootstrappers first: they are where each participant's address is written.
    std::map<std::string, std::string> addr_of;
    if (YAML::Node list = p2p["bootstrappers"]; list && list.IsSequence()) {
      size_t index = 0;
      for (const YAML::Node& entry : list) {
        ++index;
        std::string text = Scalar(entry);
        size_t at = text.find('@');
        std::string key = at == std::string::npos ? "" : NormalizeKey(text.substr(0, at));
        std::string addr = at == std::string::npos ? "" : text.substr(at + 1);
        if (key.empty() || !IsHostPort(addr)) {
          problems.push_back(absl::StrCat("p2p.bootstrappers[", index,
                                          "] is not <pubkeyhex>@ip:port: '", text.substr(0, 160),
                                          "'"));
          continue;
        }
        addr_of[key] = addr;
      }
    } else if (list) {
      problems.push_back("p2p.bootstrappers is not a list");
    }

    auto add = [&](const std::string& key, bool self) {
      v1::Participant* p = config.add_participants();
      p->set_public_key(key);
      p->set_self(self);
      if (auto it = addr_of.find(key); it != addr_of.end()) {
        p->set_addr(it->second);
      } else if (self && IsHostPort(config.p2p_listen_addr()) &&
                 !absl::StartsWith(config.p2p_listen_addr(), "0.0.0.0:") &&
                 !absl::StartsWith(config.p2p_listen_addr(), "[::]:")) {
        p->set_addr(config.p2p_listen_addr());
      }
    };
    if (!config.public_key().empty()) add(config.public_key(), true);
    if (YAML::Node list = p2p["allowed_peers"]; list && list.IsSequence()) {
      size_t index = 0;
      for (const YAML::Node& entry : list) {
        ++index;
        std::string text = Scalar(entry);
        std::string key = NormalizeKey(text);
        if (key.empty()) {
          problems.push_back(absl::StrCat("p2p.allowed_peers[", index,
                                          "] is not a hex ed25519 public key: '",
                                          text.substr(0, 160), "'"));
          continue;
        }
        if (key == config.public_key()) continue;  // The node adds itself once.
        bool seen = false;
        for (const v1::Participant& p : config.participants()) seen = seen || p.public_key() == key;
        if (!seen) add(key, false);
      }
    } else if (list) {
      problems.push_back("p2p.allowed_peers is not a list");
    }
  } catch (const YAML::Exception& e) {
    problems.push_back(absl::StrCat("unexpected layout: ", e.what()));
  }
  config.set_loaded(true);
  config.set_error(absl::StrJoin(problems, "; "));
  return config;
}

}  // namespace guts::agent
