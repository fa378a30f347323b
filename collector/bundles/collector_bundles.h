// MakeCollectorBundles: the guts-collector's bundle room (BundleRpcsImpl, ticker on) on its
// Store, reaching the agents through its AgentServiceImpl.
//
// Example (collector/main.cc):
//   Collector::Start(config, [](Store* store, AgentServiceImpl* agents) {
//     return MakeCollectorBundles(store, agents, {});
//   });
#ifndef GUTS_COLLECTOR_BUNDLES_COLLECTOR_BUNDLES_H_
#define GUTS_COLLECTOR_BUNDLES_COLLECTOR_BUNDLES_H_

#include <memory>

#include "collector/bundle_rpcs.h"
#include "collector/bundles/bundle_rpcs_impl.h"
#include "collector/ingest/agent_service.h"
#include "collector/store/store.h"

namespace guts::collector {

// Both pointers must outlive the result. Returns nullptr (bundles then answer UNIMPLEMENTED,
// logged) when the stored bundles cannot be loaded.
std::unique_ptr<BundleRpcs> MakeCollectorBundles(Store* store, AgentServiceImpl* agents,
                                                 BundleOptions options);

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_COLLECTOR_BUNDLES_H_
