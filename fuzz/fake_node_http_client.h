// A stand-in for the agent's NodeHttpClient, linked into fuzz targets instead of the cpp-httplib
// one: Get answers from replies the fuzzer queued, so the node sources' parsing runs on fuzz
// input without a network.
//
// Example:
//   guts::fuzz::QueueNodeReplies({"{\"status\":\"up\"}", "{}"});
//   source.Collect(deadline, part);  // the first Get returns the first body, and so on
//
// Not thread-safe: a fuzz target runs one input at a time.
#pragma once

#include <string>
#include <vector>

namespace guts::fuzz {

// The bodies the next Get calls return, in order, each with HTTP 200. Once they are used up,
// Get answers UNAVAILABLE as an unreachable node would.
void QueueNodeReplies(std::vector<std::string> bodies);

// Splits fuzz input into pieces at each "\n#--\n" (the seed corpora use it between bodies).
std::vector<std::string> SplitPieces(const char* data, size_t size);

}  // namespace guts::fuzz
