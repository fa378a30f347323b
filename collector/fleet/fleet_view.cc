#include "collector/fleet/fleet_view.h"

#include <atomic>

namespace guts::collector {

uint64_t NewIdentityGeneration() {
  // Process-wide, so that generations of different fleet states never meet in one analyzer.
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace guts::collector
