// Archive entry names a bundle may hold.
//
// Both sides check every name: the agent before it writes an entry, the collector before it
// marks an uploaded archive complete. A name is accepted when it is relative, non-empty, made
// of non-empty components, and has no "." or ".." component, backslash or NUL: extracting the
// archive anywhere can then never write outside the target directory.
//
// Example:
//   if (absl::Status s = ValidateEntryName("logs/node.log"); !s.ok()) return s;
#ifndef GUTS_BUNDLE_FORMAT_ENTRY_NAME_H_
#define GUTS_BUNDLE_FORMAT_ENTRY_NAME_H_

#include <string_view>

#include "absl/status/status.h"

namespace guts::bundle {

// OK for a safe relative name; INVALID_ARGUMENT naming the problem otherwise. Thread-safe.
absl::Status ValidateEntryName(std::string_view name);

}  // namespace guts::bundle

#endif  // GUTS_BUNDLE_FORMAT_ENTRY_NAME_H_
