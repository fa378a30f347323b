#include "collector/ingest/snapshot_limits.h"

#include "absl/strings/str_cat.h"
#include "collector/store/keys.h"
#include "common/node_id.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"

namespace guts::collector {
namespace {

using guts::diag::v1::Snapshot;

absl::Status TooMany(absl::string_view field, size_t count, size_t max) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", count, " entries, at most ", max, " accepted"));
}

absl::Status CheckString(absl::string_view field, const std::string& s, size_t max) {
  if (s.size() <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", s.size(), " bytes, at most ", max, " accepted"));
}

// Every string and bytes field of `m`, at any depth, within `max` bytes: one walk over the
// message's own fields, so a field added to the proto later is bounded too.
absl::Status CheckAllStrings(const google::protobuf::Message& m, const std::string& path,
                             size_t max, int depth = 0) {
  using google::protobuf::FieldDescriptor;
  if (depth > 32) return absl::InvalidArgumentError(absl::StrCat(path, ": nested too deep"));
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    std::string name = absl::StrCat(path, ".", f->name());
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      std::string scratch;
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          const std::string& v = r->GetRepeatedStringReference(m, f, i, &scratch);
          if (absl::Status s = CheckString(name, v, max); !s.ok()) return s;
        }
      } else {
        const std::string& v = r->GetStringReference(m, f, &scratch);
        if (absl::Status s = CheckString(name, v, max); !s.ok()) return s;
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          if (absl::Status s =
                  CheckAllStrings(r->GetRepeatedMessage(m, f, i), name, max, depth + 1);
              !s.ok()) {
            return s;
          }
        }
      } else if (absl::Status s = CheckAllStrings(r->GetMessage(m, f), name, max, depth + 1);
                 !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHello(const guts::diag::v1::Hello& hello, const SnapshotLimits& limits) {
  if (!keys::ValidNodeId(hello.node_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("hello.node_id \"", hello.node_id().substr(0, 64), "\" is not a node id (",
                     guts::kNodeIdGrammar, ")"));
  }
  if (static_cast<size_t>(hello.labels_size()) > limits.max_labels) {
    return TooMany("hello.labels", hello.labels_size(), limits.max_labels);
  }
  for (const auto& [k, v] : hello.labels()) {
    if (k.size() > limits.max_label_bytes || v.size() > limits.max_label_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("hello.labels: label \"", k.substr(0, 64),
                                                     "\" longer than ", limits.max_label_bytes,
                                                     " bytes"));
    }
  }
  return CheckAllStrings(hello, "hello", limits.max_string_bytes);
}

absl::Status ValidateSnapshot(const Snapshot& snapshot, const std::string& node_id, absl::Time now,
                              const SnapshotLimits& limits) {
  if (!snapshot.node_id().empty() && snapshot.node_id() != node_id) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot.node_id \"",
                                                   snapshot.node_id().substr(0, 64),
                                                   "\" on the stream of node \"", node_id, "\""));
  }
  if (snapshot.seq() == 0) return absl::InvalidArgumentError("snapshot.seq must be >= 1");
  size_t bytes = snapshot.ByteSizeLong();
  if (bytes > limits.max_snapshot_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot of ", bytes, " bytes, at most ",
                                                   limits.max_snapshot_bytes, " accepted"));
  }
  absl::Time taken = absl::FromUnixMillis(snapshot.taken_unix_ms());
  if (taken < now - limits.max_past || taken > now + limits.max_future) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot.taken_unix_ms ", snapshot.taken_unix_ms(), " is ",
                     absl::FormatDuration(absl::Trunc(taken - now, absl::Seconds(1))),
                     " from the collector's clock; fix the agent's clock (NTP)"));
  }
  if (static_cast<size_t>(snapshot.peers_size()) > limits.max_peers) {
    return TooMany("snapshot.peers", snapshot.peers_size(), limits.max_peers);
  }
  if (static_cast<size_t>(snapshot.probes_size()) > limits.max_probes) {
    return TooMany("snapshot.probes", snapshot.probes_size(), limits.max_probes);
  }
  if (static_cast<size_t>(snapshot.validators().validators_size()) > limits.max_validators) {
    return TooMany("snapshot.validators", snapshot.validators().validators_size(),
                   limits.max_validators);
  }
  if (static_cast<size_t>(snapshot.source_errors_size()) > limits.max_source_errors) {
    return TooMany("snapshot.source_errors", snapshot.source_errors_size(),
                   limits.max_source_errors);
  }
  if (static_cast<size_t>(snapshot.log().recent_errors_size()) > limits.max_log_entries) {
    return TooMany("snapshot.log.recent_errors", snapshot.log().recent_errors_size(),
                   limits.max_log_entries);
  }
  if (static_cast<size_t>(snapshot.log().errors_by_kind_size()) > limits.max_log_entries) {
    return TooMany("snapshot.log.errors_by_kind", snapshot.log().errors_by_kind_size(),
                   limits.max_log_entries);
  }
  if (static_cast<size_t>(snapshot.metrics().series_size()) > limits.max_metric_series) {
    return TooMany("snapshot.metrics.series", snapshot.metrics().series_size(),
                   limits.max_metric_series);
  }
  return CheckAllStrings(snapshot, "snapshot", limits.max_string_bytes);
}

}  // namespace guts::collector
