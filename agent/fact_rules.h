// How facts from different sources combine into one snapshot: where one source cannot give a
// fact (Simplex mode: the API reports no height, no view), another stands in for it (the
// node's log). The rules are a table in agent/fact_rules.cc, each with the reason it exists;
// a source that only fills its own part of the snapshot needs none.
//
// Example:
//   v1::Snapshot snapshot = ...;  // the sources' parts, merged
//   CombineFacts(snapshot);      // before the snapshot is numbered and spooled
#pragma once

#include <span>
#include <string_view>

#include "guts/diag/v1/snapshot.pb.h"

namespace guts::agent {

struct FactRule {
  std::string_view name;
  // Reads the merged snapshot and fills what this rule stands in for; a no-op when the facts
  // it needs are absent.
  void (*apply)(::guts::diag::v1::Snapshot& snapshot);
};

// Every rule, in the order CombineFacts applies them: a rule may read what an earlier one set.
std::span<const FactRule> FactRules();

// Applies every rule in order. Called on every snapshot before it is spooled; safe on a
// snapshot without log or config (the rules then change nothing but the consensus mode and
// the copied log figures, which stay zero).
void CombineFacts(::guts::diag::v1::Snapshot& snapshot);

}  // namespace guts::agent
