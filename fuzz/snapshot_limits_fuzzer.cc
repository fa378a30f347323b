// Fuzzes the collector's checks of what an agent sends before anything is queued or stored:
// the input is parsed as an AgentMessage (as gRPC would deliver it) and its Hello or Snapshot
// goes through ValidateHello / ValidateSnapshot.
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "collector/ingest/snapshot_limits.h"
#include "guts/diag/v1/agent.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  guts::diag::v1::AgentMessage message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  const guts::collector::SnapshotLimits limits;
  const absl::Time now = absl::FromUnixSeconds(1796000000);
  if (message.has_hello()) (void)guts::collector::ValidateHello(message.hello(), limits);
  if (message.has_snapshot()) {
    (void)guts::collector::ValidateSnapshot(message.snapshot(), "v1", now, limits);
  }
  return 0;
}
