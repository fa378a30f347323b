#include "collector/validators_file.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace guts::collector {

namespace {

constexpr size_t kMaxBytes = 1 << 20;
constexpr size_t kMaxEntries = 10000;

std::string Scalar(const YAML::Node& entry, const char* key) {
  const YAML::Node value = entry[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

}  // namespace

absl::StatusOr<std::vector<ValidatorEntry>> ParseValidatorsYaml(const std::string& text) {
  if (text.size() > kMaxBytes) {
    return absl::InvalidArgumentError("validators file: larger than 1 MiB");
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("validators file: not valid YAML: ", e.what()));
  }
  const YAML::Node list = root.IsMap() ? root["validators"] : YAML::Node();
  if (!list || !list.IsSequence()) {
    return absl::InvalidArgumentError("validators file: expected a 'validators:' list");
  }
  if (list.size() > kMaxEntries) {
    return absl::InvalidArgumentError("validators file: more than 10000 validators");
  }
  std::vector<ValidatorEntry> out;
  std::set<std::string> names, keys;
  try {
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node entry = list[i];
      const std::string where = absl::StrCat("validators file: entry ", i + 1);
      if (!entry.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a mapping"));
      ValidatorEntry v;
      v.name = Scalar(entry, "name");
      v.public_key = absl::AsciiStrToLower(Scalar(entry, "public_key"));
      v.addr = Scalar(entry, "p2p_addr");
      v.organisation = Scalar(entry, "organisation");
      if (v.name.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": no name"));
      if (v.public_key.empty() && v.addr.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " (", v.name, "): needs a public_key or a p2p_addr"));
      }
      for (char c : v.public_key) {
        if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", v.name, "): public_key is not hex"));
        }
      }
      if (const YAML::Node w = entry["weight"]) {
        long long weight = w.as<long long>();
        if (weight <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", v.name, "): weight must be > 0"));
        }
        v.weight = static_cast<uint64_t>(weight);
      }
      if (!names.insert(v.name).second) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": duplicate name ", v.name));
      }
      if (!v.public_key.empty() && !keys.insert(v.public_key).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " (", v.name, "): duplicate public_key"));
      }
      out.push_back(std::move(v));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("validators file: ", e.what()));
  }
  return out;
}

absl::StatusOr<std::vector<ValidatorEntry>> LoadValidatorsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("validators file ", path, ": cannot read"));
  std::string text(kMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  absl::StatusOr<std::vector<ValidatorEntry>> parsed = ParseValidatorsYaml(text);
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace guts::collector
