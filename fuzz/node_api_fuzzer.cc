// Fuzzes the node_api source's reading of the node's JSON answers (GUTS_NODE.md shapes).
// Input: up to seven bodies separated by "\n#--\n", answered in the order the source asks:
// /health, /health/live, /health/ready, /health/startup, /api/consensus/status,
// /api/consensus/validators, /api/consensus/mempool.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/time/clock.h"
#include "agent/known_validators.h"
#include "agent/sources/node_api_source.h"
#include "fuzz/fake_node_http_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  guts::fuzz::QueueNodeReplies(guts::fuzz::SplitPieces(reinterpret_cast<const char*>(data), size));
  auto validators = std::make_shared<guts::agent::KnownValidators>();
  guts::agent::NodeApiSource source("http://127.0.0.11:8080", validators);
  guts::diag::v1::Snapshot part;
  (void)source.Collect(absl::Now() + absl::Seconds(1), part);
  (void)part.ByteSizeLong();
  (void)validators->Get();
  return 0;
}
