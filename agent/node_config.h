// Reads the Guts node's config.yaml (crates/guts-node config.rs layout) into NodeConfig: the
// consensus flags, the node's P2P listen address, and the participants of Simplex consensus
// (the node itself plus p2p.allowed_peers, each with the address its `<pubkeyhex>@ip:port`
// entry in p2p.bootstrappers gives). The node's own public key is derived from
// p2p.private_key (a 32-byte ed25519 seed in hex) with OpenSSL. Note: the real node seeds its
// key from the first 8 bytes only (PrivateKey::from_seed(u64)), so on a real node this key
// differs from the node's; the agent replaces it with the key the node's log announces
// (the log_key_for_derived_key rule in agent/fact_rules.cc).
//
// The private key never leaves this parser: it is not stored in NodeConfig, not quoted in any
// error message, and the buffers that held it are cleansed before returning.
//
// Problems that leave the rest readable (a malformed bootstrapper or peer key, a private key
// that is not a 32-byte seed) are listed in `error` with `loaded` still true; a file that is
// not YAML, not a mapping, or larger than kMaxNodeConfigBytes gives loaded false.
//
// Example:
//   v1::NodeConfig config = ParseNodeConfig(text, "/etc/guts/config.yaml");
//   if (!config.error().empty()) ...;
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::agent {

inline constexpr size_t kMaxNodeConfigBytes = 1 << 20;

::guts::diag::v1::NodeConfig ParseNodeConfig(absl::string_view yaml_text, const std::string& path);

// The hex ed25519 public key of a hex private key (32-byte seed, optional 0x), or "" when the
// text is not one. Exposed for tests; the argument is not copied.
std::string Ed25519PublicKeyHex(absl::string_view private_key_hex);

}  // namespace guts::agent
