// Natural order of node names, as operators count: digit runs compare as numbers, so v2 sorts
// before v10 (plain string order lists v1, v10, v2). The collector orders the nodes its
// incidents name this way, and gutsctl every list it prints.
//
// Example:
//   std::sort(names.begin(), names.end(), guts::NaturalLess);
//
// Pure function; thread-safe.
#pragma once

#include "absl/strings/string_view.h"

namespace guts {

bool NaturalLess(absl::string_view a, absl::string_view b);

}  // namespace guts
