// Each simulated node's ed25519 key pair, derived from its index so that every process of a
// sharded network, every test and every config file agree on it without sharing state:
// the private key is SHA-256("guts-sim node key v<i>") used as the ed25519 seed (32 bytes,
// written as 64 hex digits in config.yaml's p2p.private_key), the public key is the real
// ed25519 public key of that seed (OpenSSL), as an agent deriving it from the file finds it.
//
// Example:
//   NodeKey key = NodeKeyOf(0);  // v1
//   key.public_hex;              // 64 hex digits
//
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace guts::sim {

struct NodeKey {
  std::string private_hex;  // The 32-byte seed, hex.
  std::string public_hex;   // The ed25519 public key, hex.
};

NodeKey NodeKeyOf(size_t index);

}  // namespace guts::sim
