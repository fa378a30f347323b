#include "agent/bundle/sources/http_fetch.h"

#include "agent/node_http_client.h"

namespace guts::bundle {

absl::StatusOr<long> HttpFetch(const std::string& url, absl::Duration timeout, SourceOutput& out) {
  // Writing stops (without an error) once the output's cap is reached.
  agent::NodeHttpClient client;
  return client.GetTo(url, timeout, [&](absl::string_view piece) {
    return out.Write(std::string_view(piece.data(), piece.size()));
  });
}

}  // namespace guts::bundle
