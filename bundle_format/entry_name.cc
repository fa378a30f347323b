#include "bundle_format/entry_name.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace guts::bundle {

absl::Status ValidateEntryName(std::string_view name) {
  const std::string quoted = absl::StrCat("archive entry name \"", std::string(name), "\"");
  if (name.empty()) return absl::InvalidArgumentError("archive entry name is empty");
  if (name.size() > 255) return absl::InvalidArgumentError(absl::StrCat(quoted, " is too long"));
  if (name.front() == '/') return absl::InvalidArgumentError(absl::StrCat(quoted, " is absolute"));
  if (name.find('\\') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(quoted, " holds a backslash or NUL"));
  }
  for (absl::string_view part : absl::StrSplit(absl::string_view(name.data(), name.size()), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(quoted, " has an empty, \".\" or \"..\" component"));
    }
  }
  return absl::OkStatus();
}

}  // namespace guts::bundle
