// Copies a file (or a byte range of it) into a SourceOutput, honouring the deny-list.
//
// PERMISSION_DENIED without opening anything when the DenyList denies `path`; NOT_FOUND when
// it is missing; reads with O_NONBLOCK and refuses anything but a regular file (a FIFO or a
// device could block a source forever). Memory stays bounded: 64 KiB blocks. Thread-safe.
#ifndef GUTS_AGENT_BUNDLE_SOURCES_FILE_COPY_H_
#define GUTS_AGENT_BUNDLE_SOURCES_FILE_COPY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "agent/bundle/deny_list.h"
#include "agent/bundle/source_output.h"

namespace guts::bundle {

// Copies bytes [offset, offset + length) (to EOF when length is 0).
absl::Status CopyFile(const std::string& path, const DenyList& deny, SourceOutput& out,
                      uint64_t offset = 0, uint64_t length = 0);

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_SOURCES_FILE_COPY_H_
