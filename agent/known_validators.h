// The latest validator list the node reported (/api/consensus/validators), shared between the
// node_api source that learns it and the p2p sources that need the validators' P2P addresses.
//
// Example:
//   auto validators = std::make_shared<KnownValidators>();
//   validators->Set({{"v2", "127.0.0.12:9000"}});
//   for (const KnownValidator& v : validators->Get()) Probe(v.addr);
//
// Thread-safe.
#pragma once

#include <mutex>
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

 private:
  mutable std::mutex mu_;
  std::vector<KnownValidator> validators_;
};

}  // namespace guts::agent
