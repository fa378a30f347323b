// Natural order of node names: digit runs compare as numbers, so v2 sorts before v10 (plain
// string order lists v1, v10, v2). Incidents list their nodes and groups in this order.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace guts::collector {

bool NaturalLess(absl::string_view a, absl::string_view b);

void SortNaturally(std::vector<std::string>& names);

}  // namespace guts::collector
