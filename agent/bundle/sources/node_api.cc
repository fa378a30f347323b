// node_api.*: every node API endpoint as the node answers it, and /metrics.
#include "absl/strings/str_cat.h"
#include "agent/bundle/sources/catalogue.h"
#include "agent/bundle/sources/http_fetch.h"

namespace guts::bundle {
namespace {

BundleSource Endpoint(std::string name, std::string path, std::string entry, uint64_t cap) {
  BundleSource s;
  s.name = std::move(name);
  s.entry = std::move(entry);
  s.timeout = absl::Seconds(5);
  s.max_bytes = cap;
  s.collect = [path = std::move(path), timeout = s.timeout](const SourceContext& ctx,
                                                            SourceOutput& out) -> absl::Status {
    if (ctx.node.api_url.empty()) return absl::FailedPreconditionError("no node API address");
    absl::StatusOr<long> code = HttpFetch(absl::StrCat(ctx.node.api_url, path), timeout, out);
    if (!code.ok()) return code.status();
    // A 503 body (not ready) is exactly what an operator wants to see: kept, not failed.
    return absl::OkStatus();
  };
  return s;
}

}  // namespace

std::vector<BundleSource> NodeApiSources() {
  std::vector<BundleSource> sources;
  const std::pair<const char*, const char*> endpoints[] = {
      {"health", "/health"},
      {"health_live", "/health/live"},
      {"health_ready", "/health/ready"},
      {"health_startup", "/health/startup"},
      {"consensus_status", "/api/consensus/status"},
      {"consensus_validators", "/api/consensus/validators"},
      {"consensus_mempool", "/api/consensus/mempool"},
      {"consensus_blocks", "/api/consensus/blocks"},
  };
  for (const auto& [name, path] : endpoints) {
    sources.push_back(Endpoint(absl::StrCat("node_api.", name), path,
                               absl::StrCat("node/api/", name, ".json"), 1 << 20));
  }
  sources.push_back(Endpoint("node_api.metrics", "/metrics", "node/metrics.txt", 8 << 20));
  return sources;
}

}  // namespace guts::bundle
