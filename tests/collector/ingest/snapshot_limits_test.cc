// The collector's bounds on what an agent sends are declared on the proto fields they bound
// (proto/guts/diag/v1/limits.proto): every string, bytes, repeated and map field of a Snapshot
// and a Hello declares one, each declared bound is enforced with an error naming the field,
// and a snapshot at the bounds is accepted.
#include "collector/ingest/snapshot_limits.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "gtest/gtest.h"
#include "guts/diag/v1/limits.pb.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const absl::Time kNow = absl::FromUnixSeconds(1796000000);

uint32_t MaxBytes(const FieldDescriptor& f) { return f.options().GetExtension(v1::max_bytes); }
uint32_t MaxCount(const FieldDescriptor& f) { return f.options().GetExtension(v1::max_count); }

// Every field under `type` that can carry unbounded data, as "Message.field", when it declares
// no bound: strings and bytes need max_bytes, repeated and map fields max_count, maps with
// string keys max_bytes too.
void Undeclared(const Descriptor& type, std::set<const Descriptor*>& seen,
                std::vector<std::string>& out) {
  if (!seen.insert(&type).second) return;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& f = *type.field(i);
    std::string name = absl::StrCat(type.name(), ".", f.name());
    if (f.is_repeated() && MaxCount(f) == 0) out.push_back(name + " (max_count)");
    if (f.is_map()) {
      const FieldDescriptor& key = *f.message_type()->map_key();
      const FieldDescriptor& value = *f.message_type()->map_value();
      bool strings = key.cpp_type() == FieldDescriptor::CPPTYPE_STRING ||
                     value.cpp_type() == FieldDescriptor::CPPTYPE_STRING;
      if (strings && MaxBytes(f) == 0) out.push_back(name + " (max_bytes)");
      if (value.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Undeclared(*value.message_type(), seen, out);
      }
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_STRING && MaxBytes(f) == 0) {
      out.push_back(name + " (max_bytes)");
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Undeclared(*f.message_type(), seen, out);
    }
  }
}

TEST(SnapshotLimitsTest, EveryStringAndRepeatedFieldDeclaresItsBound) {
  std::set<const Descriptor*> seen;
  std::vector<std::string> undeclared;
  Undeclared(*v1::Snapshot::descriptor(), seen, undeclared);
  Undeclared(*v1::Hello::descriptor(), seen, undeclared);
  EXPECT_THAT(undeclared, ::testing::IsEmpty())
      << "declare [(max_bytes) = N] / [(max_count) = N] on these fields (limits.proto)";
  EXPECT_GT(v1::Snapshot::descriptor()->options().GetExtension(v1::max_message_bytes), 0u);

  // The walk does see fields that declare nothing.
  std::set<const Descriptor*> none;
  std::vector<std::string> found;
  Undeclared(*google::protobuf::DescriptorProto::descriptor(), none, found);
  EXPECT_THAT(found, ::testing::Contains("DescriptorProto.name (max_bytes)"));
  EXPECT_THAT(found, ::testing::Contains("DescriptorProto.field (max_count)"));
}

v1::Snapshot Valid() {
  v1::Snapshot s;
  s.set_node_id("v3");
  s.set_seq(1);
  s.set_taken_unix_ms(absl::ToUnixMillis(kNow));
  return s;
}

absl::Status Validate(const v1::Snapshot& s) {
  return ValidateSnapshot(s, "v3", kNow, SnapshotLimits{});
}

// One bound: the field that declares it, reached from the Snapshot through `path`.
struct Bound {
  std::vector<const FieldDescriptor*> path;  // the last one declares the bound
  std::string name;  // "snapshot.health.version", "snapshot.peers[0].remote_addr"
};

void Bounds(const Descriptor& type, std::vector<const FieldDescriptor*> path,
            const std::string& name, std::vector<Bound>& out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    std::vector<const FieldDescriptor*> here = path;
    here.push_back(f);
    std::string field_name = absl::StrCat(name, ".", f->name());
    if (MaxCount(*f) != 0 || MaxBytes(*f) != 0) out.push_back({here, field_name});
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map()) {
      Bounds(*f->message_type(), here, f->is_repeated() ? field_name + "[0]" : field_name, out);
    }
  }
}

// The message at the end of `path` (all but its last field), created in `root`: the first
// element of each repeated message on the way.
Message& Reach(Message& root, const std::vector<const FieldDescriptor*>& path) {
  Message* m = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const google::protobuf::Reflection& r = *m->GetReflection();
    if (!path[i]->is_repeated()) {
      m = r.MutableMessage(m, path[i]);
    } else if (r.FieldSize(*m, path[i]) == 0) {
      m = r.AddMessage(m, path[i]);
    } else {
      m = r.MutableRepeatedMessage(m, path[i], 0);
    }
  }
  return *m;
}

void AddEntries(Message& m, const FieldDescriptor& f, uint32_t count) {
  const google::protobuf::Reflection& r = *m.GetReflection();
  for (uint32_t i = 0; i < count; ++i) {
    if (f.is_map()) {
      Message* entry = r.AddMessage(&m, &f);
      const FieldDescriptor& key = *f.message_type()->map_key();
      entry->GetReflection()->SetString(entry, &key, absl::StrCat("k", i));
    } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      r.AddString(&m, &f, "");
    } else {
      r.AddMessage(&m, &f);
    }
  }
}

TEST(SnapshotLimitsTest, EachDeclaredBoundIsEnforcedAndNamesItsField) {
  std::vector<Bound> bounds;
  Bounds(*v1::Snapshot::descriptor(), {}, "snapshot", bounds);
  ASSERT_GT(bounds.size(), 30u);
  for (const Bound& bound : bounds) {
    const FieldDescriptor& f = *bound.path.back();
    SCOPED_TRACE(bound.name);
    if (uint32_t max = MaxCount(f); max != 0) {
      v1::Snapshot at = Valid();
      AddEntries(Reach(at, bound.path), f, max);
      EXPECT_TRUE(Validate(at).ok()) << Validate(at);
      v1::Snapshot over = Valid();
      AddEntries(Reach(over, bound.path), f, max + 1);
      absl::Status s = Validate(over);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(s.message(),
                absl::StrCat(bound.name, ": ", max + 1, " entries, at most ", max, " accepted"));
    }
    if (uint32_t max = MaxBytes(f); max != 0 && !f.is_map() && !f.is_repeated()) {
      v1::Snapshot at = Valid();
      Message& m = Reach(at, bound.path);
      m.GetReflection()->SetString(&m, &f, std::string(max, 'x'));
      if (bound.name != "snapshot.node_id") {
        EXPECT_TRUE(Validate(at).ok()) << Validate(at);
      }
      m.GetReflection()->SetString(&m, &f, std::string(max + 1, 'x'));
      absl::Status s = Validate(at);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      if (bound.name != "snapshot.node_id") {
        EXPECT_EQ(s.message(),
                  absl::StrCat(bound.name, ": ", max + 1, " bytes, at most ", max, " accepted"));
      }
    }
  }
}

TEST(SnapshotLimitsTest, ElementsOfRepeatedFieldsAndMapsAreNamedInTheError) {
  v1::Snapshot s = Valid();
  s.add_peers();
  s.add_peers()->set_remote_addr(std::string(4097, '1'));
  EXPECT_EQ(Validate(s).message(),
            "snapshot.peers[1].remote_addr: 4097 bytes, at most 4096 accepted");

  s = Valid();
  s.mutable_log()->add_recent_errors(std::string(5000, 'e'));
  EXPECT_EQ(Validate(s).message(),
            "snapshot.log.recent_errors[0]: 5000 bytes, at most 4096 accepted");

  s = Valid();
  (*s.mutable_health()->mutable_checks())["db"].set_details(std::string(4097, 'd'));
  EXPECT_EQ(Validate(s).message(),
            "snapshot.health.checks[\"db\"].details: 4097 bytes, at most 4096 accepted");

  s = Valid();
  (*s.mutable_metrics()->mutable_series())[std::string(4097, 'm')] = 1;
  EXPECT_THAT(std::string(Validate(s).message()),
              ::testing::StartsWith("snapshot.metrics.series: key \"mmm"));
}

TEST(SnapshotLimitsTest, HelloLabelsAreBoundedInCountAndLength) {
  v1::Hello hello;
  hello.set_node_id("v3");
  (*hello.mutable_labels())["region"] = "eu-west";
  EXPECT_TRUE(ValidateHello(hello, SnapshotLimits{}).ok());

  (*hello.mutable_labels())["region"] = std::string(257, 'r');
  EXPECT_EQ(ValidateHello(hello, SnapshotLimits{}).message(),
            "hello.labels[\"region\"]: 257 bytes, at most 256 accepted");

  hello.clear_labels();
  for (int i = 0; i < 33; ++i) (*hello.mutable_labels())[absl::StrCat("k", i)] = "v";
  EXPECT_EQ(ValidateHello(hello, SnapshotLimits{}).message(),
            "hello.labels: 33 entries, at most 32 accepted");

  hello.clear_labels();
  hello.set_p2p_addr(std::string(4097, '1'));
  EXPECT_EQ(ValidateHello(hello, SnapshotLimits{}).message(),
            "hello.p2p_addr: 4097 bytes, at most 4096 accepted");

  hello.set_node_id("../etc");
  EXPECT_THAT(std::string(ValidateHello(hello, SnapshotLimits{}).message()),
              ::testing::HasSubstr("is not a node id"));
}

// Reflection reads a map's entries only after copying the map into a repeated field that the
// message keeps; the collector keeps every node's latest snapshot, so validation must read
// maps without it. SpaceUsedLong counts that copy when it exists.
// The walk skips a part whose serialized size proves it within every bound below it, reading
// the sizes ByteSizeLong caches. Sizes cached before a part grew must not let it through:
// validation sizes the snapshot itself, at the time it checks it.
TEST(SnapshotLimitsTest, SizesCachedBeforeAPartGrewDoNotHideIt) {
  v1::Snapshot s = Valid();
  for (int i = 0; i < 20; ++i) s.add_peers()->set_remote_addr(absl::StrCat("10.0.0.", i, ":9000"));
  (*s.mutable_health()->mutable_checks())["db"].set_details("ok");
  ASSERT_TRUE(Validate(s).ok());  // caches every part's (small) size
  s.mutable_peers(19)->set_remote_addr(std::string(4097, '1'));
  EXPECT_EQ(Validate(s).message(),
            "snapshot.peers[19].remote_addr: 4097 bytes, at most 4096 accepted");
  s.mutable_peers(19)->set_remote_addr("10.0.0.19:9000");
  ASSERT_TRUE(Validate(s).ok());
  (*s.mutable_health()->mutable_checks())["db"].set_details(std::string(4097, 'd'));
  EXPECT_EQ(Validate(s).message(),
            "snapshot.health.checks[\"db\"].details: 4097 bytes, at most 4096 accepted");
  (*s.mutable_health()->mutable_checks())["db"].set_details("ok");
  ASSERT_TRUE(Validate(s).ok());
  for (int i = 0; i < 128; ++i) s.mutable_log()->add_recent_errors("");
  ASSERT_TRUE(Validate(s).ok());
  s.mutable_log()->add_recent_errors("");  // 129 of the smallest: 258 bytes
  EXPECT_EQ(Validate(s).message(), "snapshot.log.recent_errors: 129 entries, at most 128 accepted");
}

TEST(SnapshotLimitsTest, ValidatingLeavesNoCopyOfTheMapsInTheMessage) {
  v1::Snapshot s = Valid();
  for (int i = 0; i < 50; ++i) {
    (*s.mutable_metrics()->mutable_series())[absl::StrCat("guts_series_", i, "{kind=\"x\"}")] = i;
  }
  (*s.mutable_health()->mutable_checks())["storage"].set_details("ok");
  (*s.mutable_health()->mutable_checks())["p2p"].set_details("ok");
  (*s.mutable_log()->mutable_errors_by_kind())["api_error"] = 3;
  size_t before = s.SpaceUsedLong();
  ASSERT_TRUE(Validate(s).ok()) << Validate(s);
  EXPECT_EQ(s.SpaceUsedLong(), before);

  v1::Hello hello;
  hello.set_node_id("v3");
  for (int i = 0; i < 20; ++i) (*hello.mutable_labels())[absl::StrCat("k", i)] = "v";
  before = hello.SpaceUsedLong();
  ASSERT_TRUE(ValidateHello(hello, SnapshotLimits{}).ok());
  EXPECT_EQ(hello.SpaceUsedLong(), before);
}

TEST(SnapshotLimitsTest, TheWholeSnapshotIsBoundedInBytesAndTime) {
  v1::Snapshot s = Valid();
  for (int i = 0; i < 100; ++i) s.mutable_log()->add_recent_errors(std::string(3000, 'e'));
  absl::Status big = Validate(s);
  EXPECT_EQ(big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(big.message()), ::testing::EndsWith("bytes, at most 262144 accepted"));

  s = Valid();
  s.set_taken_unix_ms(absl::ToUnixMillis(kNow + absl::Hours(48)));
  EXPECT_THAT(std::string(Validate(s).message()), ::testing::HasSubstr("clock"));
  s = Valid();
  s.set_node_id("v4");
  EXPECT_THAT(std::string(Validate(s).message()), ::testing::HasSubstr("on the stream of node"));
  s = Valid();
  s.set_seq(0);
  EXPECT_EQ(Validate(s).message(), "snapshot.seq must be >= 1");
}

}  // namespace
}  // namespace guts::collector
