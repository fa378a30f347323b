// Golden files for gutsctl's renderers: tests/ctl/golden/<name>.
//
// ExpectGolden compares `actual` with the stored file byte for byte. To accept a change in
// the output (after reading the diff!), regenerate every golden file with
//   GUTS_UPDATE_GOLDEN=1 ctest --test-dir build/<dir> -R ctl_
// and review `git diff tests/ctl/golden`. A missing golden file fails with that hint.
#pragma once

#include <string>

namespace guts::ctl::testing {

void ExpectGolden(const std::string& name, const std::string& actual);

}  // namespace guts::ctl::testing
