// LoadValidatorsFile: the operator's validator file (--validators), which, when given, is the
// validator set: it names validators that run no agent, with their keys, P2P addresses,
// weights and organisations. Format (YAML; deploy/validators.example.yaml):
//
//   validators:
//     - name: v1
//       public_key: 3b6a27bc...   # hex ed25519 (Simplex: matches the participants' keys)
//       p2p_addr: 10.0.0.11:9000
//       weight: 100               # simulation mode; Simplex counts one vote each
//       organisation: acme
//
// Returns the entries in file order, or InvalidArgument naming the entry and the field at
// fault (a missing name, a missing key and address, a duplicate, a bad weight), NotFound when
// the file cannot be read. Bounded: files over 1 MiB or 10 000 entries are refused.
//
// Thread-safe: a pure function of the file.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/analysis/validator_set.h"

namespace guts::collector {

absl::StatusOr<std::vector<ValidatorEntry>> LoadValidatorsFile(const std::string& path);

// The same, from the file's text (tests).
absl::StatusOr<std::vector<ValidatorEntry>> ParseValidatorsYaml(const std::string& text);

}  // namespace guts::collector
