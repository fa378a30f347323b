// GET a URL into a SourceOutput, with a hard timeout (agent/node_http_client.h).
//
// Returns the HTTP status code; UNAVAILABLE when the server cannot be reached,
// DEADLINE_EXCEEDED on timeout. Stopping early because the output is full is not an error.
// Thread-safe (one connection per call).
#ifndef GUTS_AGENT_BUNDLE_SOURCES_HTTP_FETCH_H_
#define GUTS_AGENT_BUNDLE_SOURCES_HTTP_FETCH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/bundle/source_output.h"

namespace guts::bundle {

absl::StatusOr<long> HttpFetch(const std::string& url, absl::Duration timeout, SourceOutput& out);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_SOURCES_HTTP_FETCH_H_
