#include "common/node_id.h"

#include "absl/strings/ascii.h"

namespace guts {

bool ValidNodeId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  if (id.front() == '.' || id.front() == ':' || id.front() == '-') return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace guts
