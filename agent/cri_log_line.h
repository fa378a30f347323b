// CriLogLine: one line of a kubelet container log file (the CRI logging format), as the agent
// reads it in sidecar mode from /var/log/pods/<ns>_<pod>_<uid>/guts-node/0.log:
//
//   2026-11-30T02:57:57.123456789Z stdout F {"timestamp":"...","level":"INFO",...}
//
// The kubelet prefixes every line the container wrote with the time it read it, the stream and
// a tag: F for a full line, P for a part of a longer one that the next record continues.
//
// Example:
//   absl::optional<CriLogLine> cri = ParseCriLogLine(raw);
//   absl::string_view payload = cri ? cri->payload : raw;
#pragma once

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace guts::agent {

struct CriLogLine {
  absl::string_view payload;  // what the container wrote (views into the raw line)
  bool partial = false;       // tag P: the next record continues this line
};

// The parts of `raw` when it carries a CRI prefix (an RFC 3339 time, "stdout" or "stderr", and
// the tag "F" or "P"), nullopt otherwise (a line written by the node itself). Thread-safe.
absl::optional<CriLogLine> ParseCriLogLine(absl::string_view raw);

}  // namespace guts::agent
