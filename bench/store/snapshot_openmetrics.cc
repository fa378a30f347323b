// snapshot_openmetrics: the figures of bench/loadgen's realistic snapshots as OpenMetrics
// text, so that Prometheus's TSDB can store the same information a snapshot carries
// (`promtool tsdb create-blocks-from openmetrics`) and the two stores' bytes compare like
// with like (bench/store/prometheus_same_figures.sh).
//
// Mapping (one series per figure, the way an exporter would expose it):
//   - every number, bool and enum of every message present in the snapshot, zeros included,
//     is a gauge `guts_<path>` (e.g. guts_peers_rtt_us), labelled node="<node id>", and for
//     an element of a repeated message or a map `<field>="<index or key>"`;
//   - the strings of a message are the labels of one `guts_<path>_info` series of value 1
//     (the Prometheus convention for text facts);
//   - left out: seq and taken_unix_ms (the sample's timestamp), and consensus.last_block_id,
//     which changes every second ("b" + the height in this generator, so it carries nothing
//     the height does not): as a label it would make a new series every second.
// Samples are grouped by metric family, as OpenMetrics requires.
//
// Usage: snapshot_openmetrics NODES SECONDS START_UNIX_S > out.om
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// family -> labels -> (unix ms, value) in time order.
using Samples = std::vector<std::pair<int64_t, double>>;
std::map<std::string, std::map<std::string, Samples>> families;

std::string Escape(const std::string& v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

std::string Labels(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(absl::StrCat(k, "=\"", Escape(v), "\""));
  return absl::StrJoin(parts, ",");
}

double Number(const Message& m, const Reflection* r, const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return static_cast<double>(r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<double>(r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? 1 : 0;
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->GetEnumValue(m, f);
    default:
      return 0;
  }
}

void Flatten(const Message& m, const std::string& path,
             std::vector<std::pair<std::string, std::string>> labels, int64_t ms) {
  const Reflection* r = m.GetReflection();
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  std::vector<std::pair<std::string, std::string>> strings = labels;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    std::string name = path.empty() ? f->name() : absl::StrCat(path, "_", f->name());
    if (name == "seq" || name == "taken_unix_ms" || name == "consensus_last_block_id" ||
        name == "node_id") {
      continue;
    }
    if (f->is_map()) {
      const FieldDescriptor* key = f->message_type()->map_key();
      const FieldDescriptor* value = f->message_type()->map_value();
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        const Message& e = r->GetRepeatedMessage(m, f, k);
        const Reflection* er = e.GetReflection();
        std::string key_text = key->cpp_type() == FieldDescriptor::CPPTYPE_STRING
                                   ? er->GetString(e, key)
                                   : absl::StrCat(Number(e, er, key));
        auto l = labels;
        l.emplace_back(f->name(), key_text);
        if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          Flatten(er->GetMessage(e, value), name, l, ms);
        } else {
          families["guts_" + name][Labels(l)].emplace_back(ms, Number(e, er, value));
        }
      }
    } else if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        auto l = labels;
        l.emplace_back(f->name(), absl::StrCat(k));
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          Flatten(r->GetRepeatedMessage(m, f, k), name, l, ms);
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          l.emplace_back("text", r->GetRepeatedString(m, f, k));
          families["guts_" + name + "_info"][Labels(l)].emplace_back(ms, 1);
        } else {
          families["guts_" + name][Labels(l)].emplace_back(ms, 0);  // packed numbers: none here
        }
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (r->HasField(m, f)) Flatten(r->GetMessage(m, f), name, labels, ms);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      strings.emplace_back(f->name(), r->GetString(m, f));
    } else {
      families["guts_" + name][Labels(labels)].emplace_back(ms, Number(m, r, f));
    }
  }
  if (strings.size() > labels.size()) {
    families["guts_" + (path.empty() ? std::string("snapshot") : path) + "_info"][Labels(strings)]
        .emplace_back(ms, 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 0, seconds = 0;
  int64_t start = 0;
  if (argc != 4 || !absl::SimpleAtoi(argv[1], &nodes) || !absl::SimpleAtoi(argv[2], &seconds) ||
      !absl::SimpleAtoi(argv[3], &start)) {
    std::fprintf(stderr, "usage: snapshot_openmetrics NODES SECONDS START_UNIX_S\n");
    return 2;
  }
  // The same makers, seeds and clock as bench/store/store_bench.
  std::vector<guts::bench::RealisticSnapshot> makers;
  for (int n = 0; n < nodes; ++n) makers.emplace_back(absl::StrCat("v", n), n, 7u + n);
  for (int s = 1; s <= seconds; ++s) {
    for (int n = 0; n < nodes; ++n) {
      const auto& snap = makers[n].Next(s, absl::FromUnixSeconds(start + s));
      Flatten(snap, "", {{"node", snap.node_id()}}, snap.taken_unix_ms());
    }
  }
  uint64_t samples = 0, series = 0;
  for (const auto& [family, by_labels] : families) {
    std::printf("# TYPE %s gauge\n", family.c_str());
    for (const auto& [labels, points] : by_labels) {
      ++series;
      for (const auto& [ms, v] : points) {
        ++samples;
        std::printf("%s{%s} %.17g %lld.%03lld\n", family.c_str(), labels.c_str(), v,
                    static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
      }
    }
  }
  std::printf("# EOF\n");
  std::fprintf(stderr, "{\"nodes\": %d, \"seconds\": %d, \"series\": %llu, \"samples\": %llu}\n",
               nodes, seconds, static_cast<unsigned long long>(series),
               static_cast<unsigned long long>(samples));
  return 0;
}
