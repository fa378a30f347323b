// Folding: one incident per cause. A verdict that explains others (a partition explains the
// isolation, low peers and lag of its members and the halt of the chain) absorbs them: they are
// dropped from the tick's verdicts and listed in the cause's `absorbed`.
#pragma once

#include <vector>

#include "collector/analysis/verdict.h"

namespace guts::collector {

// Folds symptoms under their causes in place. A partial partition that absorbs a stuck chain
// becomes P1.
void FoldSymptoms(std::vector<Verdict>& verdicts);

}  // namespace guts::collector
