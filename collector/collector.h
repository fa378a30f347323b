// Collector: the whole guts-collector process as one object — store, fleet state, batching
// writer, analysis loop, the gRPC services (AgentService, FleetService, health, reflection)
// and the HTTP endpoints (/metrics, /healthz, /readyz, POST /admin/compact).
//
// Example:
//   absl::StatusOr<std::unique_ptr<Collector>> c = Collector::Start(config);
//   std::cout << (*c)->grpc_address();   // "127.0.0.1:40123" with --grpc-addr 127.0.0.1:0
//   ...
//   (*c)->Shutdown();                     // closes streams, drains the writer, closes the store
//
// Thread-safe: accessors may be called from any thread; Shutdown once.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "collector/bundle_rpcs.h"
#include "collector/config.h"
#include "collector/ingest/agent_service.h"
#include "collector/store/store.h"

namespace guts::collector {

// Builds the bundle room's RPC object from the store and the agents' streams (may be unset).
using BundleRpcsFactory =
    std::function<std::unique_ptr<BundleRpcs>(Store* store, AgentServiceImpl* agents)>;

class Collector {
 public:
  // Opens the store, rebuilds the fleet state, then serves. INVALID_ARGUMENT for a bad address
  // or TLS file, UNAVAILABLE when an address cannot be bound, the store's errors otherwise.
  static absl::StatusOr<std::unique_ptr<Collector>> Start(const CollectorConfig& config,
                                                          BundleRpcsFactory bundles = nullptr);
  ~Collector();  // Shutdown()
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Stops serving and flushes what was received. Idempotent.
  void Shutdown();

  // Bound addresses "host:port".
  std::string grpc_address() const;
  std::string http_address() const;

 private:
  struct Parts;
  explicit Collector(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace guts::collector
