// The guts-collector's bundle room, assembled from its Store and IngestService: the storage
// adapter, the desk (ticker on) and the gRPC reactors, owned together.
//
// Example (collector/main.cc):
//   Collector::Start(config, [](Store* store, IngestService* agents) {
//     return MakeCollectorBundles(store, agents, {});
//   });
#ifndef GUTS_COLLECTOR_BUNDLES_COLLECTOR_BUNDLES_H_
#define GUTS_COLLECTOR_BUNDLES_COLLECTOR_BUNDLES_H_

#include <memory>

#include "collector/bundle_rpcs.h"
#include "collector/bundles/bundle_desk.h"
#include "collector/ingest/ingest_service.h"
#include "collector/store/store.h"

namespace guts::collector {

// Both pointers must outlive the result. Returns nullptr (bundles then answer UNIMPLEMENTED,
// logged) when the stored bundles cannot be loaded.
std::unique_ptr<BundleRpcs> MakeCollectorBundles(Store* store, IngestService* agents,
                                                 BundleDeskOptions options);

}  // namespace guts::collector

#endif  // GUTS_COLLECTOR_BUNDLES_COLLECTOR_BUNDLES_H_
