#include "ctl/render/json.h"

#include <map>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace guts::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using Json = nlohmann::ordered_json;

bool Is64Bit(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

void NumberFrom64BitString(const FieldDescriptor& field, Json& value) {
  if (!value.is_string()) return;
  const std::string& text = value.get_ref<const std::string&>();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
    value = std::stoull(text);
  } else {
    value = std::stoll(text);
  }
}

// The proto3 mapping prints 64-bit integers as strings; walk the message's descriptor to
// turn them back into numbers.
void Fix64BitFields(const Descriptor& descriptor, Json& object);

void FixValue(const FieldDescriptor& field, Json& value) {
  if (Is64Bit(field)) {
    NumberFrom64BitString(field, value);
  } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && value.is_object()) {
    Fix64BitFields(*field.message_type(), value);
  }
}

void Fix64BitFields(const Descriptor& descriptor, Json& object) {
  for (auto& [key, value] : object.items()) {
    const FieldDescriptor* field = descriptor.FindFieldByName(key);
    if (field == nullptr) continue;
    if (field->is_map()) {
      // Protobuf prints maps in hash order; sort the keys so that the output is stable.
      const FieldDescriptor* map_value = field->message_type()->map_value();
      std::map<std::string, Json> sorted;
      for (auto& [map_key, entry] : value.items()) {
        FixValue(*map_value, entry);
        sorted.emplace(map_key, std::move(entry));
      }
      Json rebuilt = Json::object();
      for (auto& [map_key, entry] : sorted) rebuilt[map_key] = std::move(entry);
      value = std::move(rebuilt);
    } else if (field->is_repeated()) {
      for (Json& element : value) FixValue(*field, element);
    } else {
      FixValue(*field, value);
    }
  }
}

Json ToJsonValue(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) return Json{{"error", std::string(status.message())}};
  Json value = Json::parse(text);
  Fix64BitFields(*message.GetDescriptor(), value);
  return value;
}

}  // namespace

std::string RenderJson(const google::protobuf::Message& message) {
  return ToJsonValue(message).dump(2) + "\n";
}

std::string RenderHistoryJson(const std::string& node_id,
                              const std::vector<guts::diag::v1::HistoryPoint>& points) {
  Json out = Json::object();
  out["node_id"] = node_id;
  out["points"] = Json::array();
  for (const auto& point : points) out["points"].push_back(ToJsonValue(point));
  return out.dump(2) + "\n";
}

}  // namespace guts::ctl
