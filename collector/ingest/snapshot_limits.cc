#include "collector/ingest/snapshot_limits.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collector/store/keys.h"
#include "common/node_id.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/limits.pb.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::collector {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using guts::diag::v1::Snapshot;

// A string field without a declared bound (snapshot_limits_test forbids it) is still held to
// this, as every string was before the bounds were declared.
constexpr uint32_t kUndeclaredMaxBytes = 4096;
// Deeper than any message of the API; reached only by a recursive message type.
constexpr int kMaxDepth = 32;

// What to check of one message type, read once from the descriptors: only the fields that
// can carry unbounded data (strings, repeated and map fields, and messages holding them), so
// a snapshot's scalars cost nothing.
struct MessageChecks;

struct FieldCheck {
  const FieldDescriptor* field;
  uint32_t max_bytes = 0;  // string fields, and the keys (and string values) of a map
  uint32_t max_count = 0;  // repeated and map fields; 0: no declared count
  bool map = false;
  const FieldDescriptor* map_value = nullptr;  // set for maps
  // Reads the map through its generated accessor; null: through reflection (see TypedMapFor).
  absl::Status (*typed_map)(const Message& m, const FieldCheck& check, bool sized) = nullptr;
  std::unique_ptr<MessageChecks> message;  // message fields and map values, or null
  bool too_deep = false;                   // a recursive type past kMaxDepth
};

struct MessageChecks {
  std::vector<FieldCheck> fields;
  // A message of fewer serialized bytes than this passes every check below it: a string of
  // n bytes takes at least n bytes of its message, an element of a repeated field at least
  // one (two for a string, a message or a map entry: tag and length). Most of a snapshot's
  // parts (its peers, probes, health checks) are far below their bounds, so the walk skips
  // them: through reflection it cost 4 to 5 us of the collector's ~77 us per snapshot at
  // 1 000 agents. 0 for a type with a recursive part (never skipped).
  uint64_t safe_below = 0;
};

absl::Status (*TypedMapFor(const FieldDescriptor& f))(const Message&, const FieldCheck&, bool);

uint32_t DeclaredMaxBytes(const FieldDescriptor& f) {
  uint32_t declared = f.options().GetExtension(guts::diag::v1::max_bytes);
  return declared != 0 ? declared : kUndeclaredMaxBytes;
}

bool IsString(const FieldDescriptor& f) { return f.cpp_type() == FieldDescriptor::CPPTYPE_STRING; }

// The serialized size from which `check` could fail (see MessageChecks::safe_below).
uint64_t FailsFrom(const FieldCheck& check) {
  if (check.too_deep) return 0;
  uint64_t from = UINT64_MAX;
  if (check.max_bytes != 0) from = uint64_t{check.max_bytes} + 1;
  if (check.max_count != 0) {
    const bool delimited = check.map || IsString(*check.field) ||
                           check.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    from = std::min(from, (uint64_t{check.max_count} + 1) * (delimited ? 2 : 1));
  }
  if (check.message != nullptr) from = std::min(from, check.message->safe_below);
  return from;
}

std::unique_ptr<MessageChecks> ChecksFor(const Descriptor& type, int depth) {
  auto checks = std::make_unique<MessageChecks>();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& f = *type.field(i);
    FieldCheck check{.field = &f};
    if (f.is_repeated()) check.max_count = f.options().GetExtension(guts::diag::v1::max_count);
    if (f.is_map()) {
      check.map = true;
      check.max_bytes = DeclaredMaxBytes(f);
      check.map_value = f.message_type()->map_value();
      check.typed_map = TypedMapFor(f);
      if (check.map_value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (depth >= kMaxDepth) {
          check.too_deep = true;
        } else {
          check.message = ChecksFor(*check.map_value->message_type(), depth + 1);
        }
      }
    } else if (IsString(f)) {
      check.max_bytes = DeclaredMaxBytes(f);
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (depth >= kMaxDepth) {
        check.too_deep = true;
      } else {
        check.message = ChecksFor(*f.message_type(), depth + 1);
        if (check.message->fields.empty() && check.max_count == 0) continue;
      }
    } else if (!f.is_repeated()) {
      continue;  // a scalar: bounded by its type
    }
    checks->fields.push_back(std::move(check));
  }
  checks->safe_below = UINT64_MAX;
  for (const FieldCheck& check : checks->fields) {
    checks->safe_below = std::min(checks->safe_below, FailsFrom(check));
  }
  return checks;
}

// The checks of Snapshot and Hello, built on first use and kept for the process.
const MessageChecks& SnapshotChecks() {
  static const MessageChecks* checks = ChecksFor(*Snapshot::descriptor(), 0).release();
  return *checks;
}
const MessageChecks& HelloChecks() {
  static const MessageChecks* checks = ChecksFor(*guts::diag::v1::Hello::descriptor(), 0).release();
  return *checks;
}

absl::Status TooMany(absl::string_view field, size_t count, size_t max) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", count, " entries, at most ", max, " accepted"));
}

absl::Status TooLong(absl::string_view field, size_t size, size_t max) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", size, " bytes, at most ", max, " accepted"));
}

// Names an element in an error: `peers[3]`, `labels["region"]` (the key cut to 64 bytes).
std::string Element(const std::string& field, int index) {
  return absl::StrCat(field, "[", index, "]");
}
std::string Entry(const std::string& field, const std::string& key) {
  return absl::StrCat(field, "[\"", absl::CHexEscape(key.substr(0, 64)), "\"]");
}

// The message of a child's error, under the name of the field that holds the child.
absl::Status Under(const std::string& name, const absl::Status& s) {
  return absl::InvalidArgumentError(absl::StrCat(name, ".", s.message()));
}

// `sized`: the cached sizes of `m` and every message in it are current (ByteSizeLong was just
// called on the message validated), so a part below its MessageChecks::safe_below is skipped.
absl::Status Check(const Message& m, const MessageChecks& checks, bool sized);

// One map entry: its key, and its value when a string (`string_value`) or a message
// (`message_value`); a scalar value is bounded by its type.
absl::Status CheckMapKeyValue(const std::string& key, const std::string* string_value,
                              const Message* message_value, const FieldCheck& check,
                              const std::string& name, bool sized) {
  if (key.size() > check.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": key \"", absl::CHexEscape(key.substr(0, 64)), "\" of ", key.size(),
                     " bytes, at most ", check.max_bytes, " accepted"));
  }
  if (string_value != nullptr) {
    if (string_value->size() > check.max_bytes) {
      return TooLong(Entry(name, key), string_value->size(), check.max_bytes);
    }
  } else if (check.too_deep) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": nested too deep"));
  } else if (check.message != nullptr && message_value != nullptr) {
    if (absl::Status s = Check(*message_value, *check.message, sized); !s.ok()) {
      return Under(Entry(name, key), s);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMapEntry(const Message& entry, const FieldCheck& check, const std::string& name) {
  const Descriptor& type = *entry.GetDescriptor();
  const Reflection& r = *entry.GetReflection();
  std::string scratch;
  static const std::string kNoKey;  // an integer key: bounded by its type
  const std::string& key =
      IsString(*type.map_key()) ? r.GetStringReference(entry, type.map_key(), &scratch) : kNoKey;
  std::string value_scratch;
  const std::string* string_value =
      IsString(*check.map_value) ? &r.GetStringReference(entry, check.map_value, &value_scratch)
                                 : nullptr;
  const Message* message_value = check.map_value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                                     ? &r.GetMessage(entry, check.map_value)
                                     : nullptr;
  // The entry is reflection's copy of the map's: its value's cached size was never set.
  return CheckMapKeyValue(key, string_value, message_value, check, name, /*sized=*/false);
}

// A map<string, V> field read through its generated accessor (Get). Reflection reads a map
// field's entries (GetRepeatedMessage) only after copying the whole map into a repeated field
// of entry messages, which the message then keeps: every validated snapshot carried a second
// copy of its series, checks and error counts, ~12 MB at the peak of 10 000 streams (jemalloc
// heap profile), since the collector keeps each node's latest snapshot.
template <typename Owner, typename V,
          const google::protobuf::Map<std::string, V>& (Owner::*Get)() const>
absl::Status CheckTypedMap(const Message& m, const FieldCheck& check, bool sized) {
  const std::string& name = check.field->name();
  for (const auto& [key, value] : (static_cast<const Owner&>(m).*Get)()) {
    const std::string* string_value = nullptr;
    const Message* message_value = nullptr;
    if constexpr (std::is_same_v<V, std::string>) {
      string_value = &value;
    } else if constexpr (std::is_base_of_v<Message, V>) {
      message_value = &value;
    }
    if (absl::Status s = CheckMapKeyValue(key, string_value, message_value, check, name, sized);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// The typed reader of every map field of Snapshot and Hello (snapshot_limits_test checks that
// none is left to reflection); null for any other map.
absl::Status (*TypedMapFor(const FieldDescriptor& f))(const Message&, const FieldCheck&, bool) {
  using namespace guts::diag::v1;  // NOLINT(build/namespaces): the messages below
  const std::string& n = f.full_name();
  if (n == "guts.diag.v1.NodeHealth.checks") {
    return &CheckTypedMap<NodeHealth, HealthCheck, &NodeHealth::checks>;
  }
  if (n == "guts.diag.v1.NodeMetrics.series") {
    return &CheckTypedMap<NodeMetrics, double, &NodeMetrics::series>;
  }
  if (n == "guts.diag.v1.LogFacts.errors_by_kind") {
    return &CheckTypedMap<LogFacts, uint64_t, &LogFacts::errors_by_kind>;
  }
  if (n == "guts.diag.v1.Hello.labels") {
    return &CheckTypedMap<Hello, std::string, &Hello::labels>;
  }
  return nullptr;
}

absl::Status CheckField(const Message& m, const Reflection& r, const FieldCheck& check,
                        bool sized) {
  const FieldDescriptor* f = check.field;
  if (!f->is_repeated()) {
    if (check.message != nullptr || check.too_deep) {
      if (!r.HasField(m, f)) return absl::OkStatus();
      if (check.too_deep)
        return absl::InvalidArgumentError(absl::StrCat(f->name(), ": nested too deep"));
      absl::Status s = Check(r.GetMessage(m, f), *check.message, sized);
      return s.ok() ? s : Under(f->name(), s);
    }
    std::string scratch;
    const std::string& v = r.GetStringReference(m, f, &scratch);
    return v.size() <= check.max_bytes ? absl::OkStatus()
                                       : TooLong(f->name(), v.size(), check.max_bytes);
  }
  int count = r.FieldSize(m, f);
  if (count == 0) return absl::OkStatus();
  if (check.max_count != 0 && static_cast<uint32_t>(count) > check.max_count) {
    return TooMany(f->name(), count, check.max_count);
  }
  if (check.typed_map != nullptr) {
    return check.typed_map(m, check, sized);
  } else if (check.map) {
    for (int i = 0; i < count; ++i) {
      if (absl::Status s = CheckMapEntry(r.GetRepeatedMessage(m, f, i), check, f->name());
          !s.ok()) {
        return s;
      }
    }
  } else if (IsString(*f)) {
    std::string scratch;
    for (int i = 0; i < count; ++i) {
      const std::string& v = r.GetRepeatedStringReference(m, f, i, &scratch);
      if (v.size() > check.max_bytes)
        return TooLong(Element(f->name(), i), v.size(), check.max_bytes);
    }
  } else if (check.too_deep) {
    return absl::InvalidArgumentError(absl::StrCat(f->name(), ": nested too deep"));
  } else if (check.message != nullptr) {
    for (int i = 0; i < count; ++i) {
      if (absl::Status s = Check(r.GetRepeatedMessage(m, f, i), *check.message, sized); !s.ok()) {
        return Under(Element(f->name(), i), s);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Check(const Message& m, const MessageChecks& checks, bool sized) {
  if (sized && static_cast<uint64_t>(m.GetCachedSize()) < checks.safe_below) {
    return absl::OkStatus();
  }
  const Reflection& r = *m.GetReflection();
  for (const FieldCheck& check : checks.fields) {
    if (absl::Status s = CheckField(m, r, check, sized); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHello(const guts::diag::v1::Hello& hello, const SnapshotLimits&) {
  if (!keys::ValidNodeId(hello.node_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("hello.node_id \"", hello.node_id().substr(0, 64), "\" is not a node id (",
                     guts::kNodeIdGrammar, ")"));
  }
  absl::Status s = Check(hello, HelloChecks(), /*sized=*/false);
  return s.ok() ? s : Under("hello", s);
}

absl::Status ValidateSnapshot(const Snapshot& snapshot, const std::string& node_id, absl::Time now,
                              const SnapshotLimits& limits) {
  if (!snapshot.node_id().empty() && snapshot.node_id() != node_id) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot.node_id \"",
                                                   snapshot.node_id().substr(0, 64),
                                                   "\" on the stream of node \"", node_id, "\""));
  }
  if (snapshot.seq() == 0) return absl::InvalidArgumentError("snapshot.seq must be >= 1");
  static const uint32_t max_bytes =
      Snapshot::descriptor()->options().GetExtension(guts::diag::v1::max_message_bytes);
  size_t bytes = snapshot.ByteSizeLong();
  if (max_bytes != 0 && bytes > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot of ", bytes, " bytes, at most ", max_bytes, " accepted"));
  }
  absl::Time taken = absl::FromUnixMillis(snapshot.taken_unix_ms());
  if (taken < now - limits.max_past || taken > now + limits.max_future) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot.taken_unix_ms ", snapshot.taken_unix_ms(), " is ",
                     absl::FormatDuration(absl::Trunc(taken - now, absl::Seconds(1))),
                     " from the collector's clock; fix the agent's clock (NTP)"));
  }
  // ByteSizeLong above left every part's cached size current.
  absl::Status s = Check(snapshot, SnapshotChecks(), /*sized=*/true);
  return s.ok() ? s : Under("snapshot", s);
}

}  // namespace guts::collector
