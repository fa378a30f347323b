#include "agent/bundle/sources/catalogue.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace guts::bundle {

std::vector<BundleSource> DefaultBundleSources() {
  std::vector<BundleSource> all = NodeApiSources();
  all.push_back(NodeLogSource());
  all.push_back(NodeConfigSource());
  for (BundleSource& s : SystemSources()) all.push_back(std::move(s));
  all.push_back(NodeProcessSource());
  for (BundleSource& s : NetworkSources()) all.push_back(std::move(s));
  all.push_back(DataDirSource());
  for (BundleSource& s : AgentSources()) all.push_back(std::move(s));
  return all;
}

std::vector<BundleSource> SelectSources(const std::vector<BundleSource>& sources,
                                        const std::vector<std::string>& selectors) {
  if (selectors.empty()) return sources;
  std::vector<BundleSource> chosen;
  for (const BundleSource& s : sources) {
    for (const std::string& sel : selectors) {
      if (s.name == sel || absl::StartsWith(s.name, absl::StrCat(sel, "."))) {
        chosen.push_back(s);
        break;
      }
    }
  }
  return chosen;
}

}  // namespace guts::bundle
