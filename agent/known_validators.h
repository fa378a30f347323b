// The latest validator list the node reported (/api/consensus/validators), shared between the
// node_api source that learns it and the p2p sources that need the validators' P2P addresses.
// In Simplex mode the API reports no validators; the P2P addresses the node itself dialled
// (its outbound sessions) are then remembered instead, so a peer that later goes away is
// still probed.
//
// Example:
//   auto validators = std::make_shared<KnownValidators>();
//   validators->Set({{"v2", "127.0.0.12:9000"}});
//   for (const KnownValidator& v : validators->ProbeTargets()) Probe(v.addr);
//
// Thread-safe.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace guts::agent {

struct KnownValidator {
  std::string name;
  std::string addr;  // "ip:port"
};

class KnownValidators {
 public:
  void Set(std::vector<KnownValidator> validators) {
    std::lock_guard<std::mutex> lock(mu_);
    validators_ = std::move(validators);
  }
  // A copy of the latest list; empty until the node first answered.
  std::vector<KnownValidator> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return validators_;
  }

  // An address "ip:port" the node dialled on the P2P port. At most kMaxRemembered are kept.
  void RememberPeer(const std::string& addr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (dialled_.size() < kMaxRemembered) dialled_.insert(addr);
  }

  // The validator list when the node reports one, else the remembered dialled addresses
  // (without names).
  std::vector<KnownValidator> ProbeTargets() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!validators_.empty()) return validators_;
    std::vector<KnownValidator> targets;
    for (const std::string& addr : dialled_) targets.push_back({.name = "", .addr = addr});
    return targets;
  }

 private:
  static constexpr size_t kMaxRemembered = 1024;

  mutable std::mutex mu_;
  std::vector<KnownValidator> validators_;
  std::set<std::string> dialled_;
};

}  // namespace guts::agent
