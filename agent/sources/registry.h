// The sources the agent runs. Each source registers itself at the end of its own file,
// agent/sources/<name>_source.cc, with one line:
//
//   GUTS_REGISTER_SOURCE(uptime, 80, [](const SourceContext& context) -> std::unique_ptr<Source> {
//     return std::make_unique<UptimeSource>(context.config.node_data_dir);
//   });
//
// BuildSources then makes, from the agent's configuration, every registered source whose
// factory does not decline (return nullptr). CMake globs agent/sources/*_source.cc into the
// guts_agent_sources object library, so a new file needs no build edit; link
// guts_agent_sources wherever sources run.
//
// Example:
//   std::vector<std::unique_ptr<Source>> sources = BuildSources(config);
//
// Thread-safety: registration happens during static initialisation; BuildSources and
// RegisteredSources may be called from any thread once main() has started.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "agent/config.h"
#include "agent/known_validators.h"
#include "agent/source.h"

namespace guts::agent {

// What a factory may read: the agent's configuration, and the validator list that node_api
// learns and the p2p sources read (one object per BuildSources call, shared by its sources).
struct SourceContext {
  const AgentConfig& config;
  std::shared_ptr<KnownValidators> validators;
};

// Makes the source, or returns nullptr when the configuration leaves it out (no log file and
// no journal unit: no node_log).
using SourceFactory = std::unique_ptr<Source> (*)(const SourceContext& context);

struct SourceRegistration {
  std::string_view name;  // as Source::name() reports it
  // Sources run and merge into the snapshot in ascending order; it decides the order of
  // source_errors and of the per-source figures. Two sources never share an order.
  int order = 0;
  SourceFactory make = nullptr;
};

// Adds a source to the list; returns true so that it can initialise a static. Use
// GUTS_REGISTER_SOURCE rather than calling it.
bool RegisterSource(SourceRegistration registration);

// Every registration, by ascending order.
std::vector<SourceRegistration> RegisteredSources();

// One source per registration that `config` turns on, by ascending order.
std::vector<std::unique_ptr<Source>> BuildSources(const AgentConfig& config);

}  // namespace guts::agent

// The factory is the rest of the arguments, so that commas inside it need no parentheses.
#define GUTS_REGISTER_SOURCE(name, order, ...)                       \
  [[maybe_unused]] static const bool guts_source_registered_##name = \
      ::guts::agent::RegisterSource({#name, order, __VA_ARGS__})
