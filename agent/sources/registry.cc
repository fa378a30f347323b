#include "agent/sources/registry.h"

#include <algorithm>

namespace guts::agent {
namespace {

// A function-local static: registrations run from other files' static initialisers, in an
// order C++ leaves open, so the list must exist before the first of them.
std::vector<SourceRegistration>& Registrations() {
  static std::vector<SourceRegistration> registrations;
  return registrations;
}

}  // namespace

bool RegisterSource(SourceRegistration registration) {
  Registrations().push_back(registration);
  return true;
}

std::vector<SourceRegistration> RegisteredSources() {
  std::vector<SourceRegistration> sorted = Registrations();
  std::sort(sorted.begin(), sorted.end(),
            [](const SourceRegistration& a, const SourceRegistration& b) {
              return a.order != b.order ? a.order < b.order : a.name < b.name;
            });
  return sorted;
}

std::vector<std::unique_ptr<Source>> BuildSources(const AgentConfig& config) {
  SourceContext context{.config = config, .validators = std::make_shared<KnownValidators>()};
  std::vector<std::unique_ptr<Source>> sources;
  for (const SourceRegistration& registration : RegisteredSources()) {
    if (std::unique_ptr<Source> source = registration.make(context)) {
      sources.push_back(std::move(source));
    }
  }
  return sources;
}

}  // namespace guts::agent
