#include "agent/agent_metrics.h"

#include "prometheus/text_serializer.h"

namespace guts::agent {

AgentMetrics::AgentMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
  };
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  snapshots_taken_ = counter("guts_agent_snapshots_taken_total", "Snapshots built and spooled.");
  snapshots_sent_ = counter("guts_agent_snapshots_sent_total",
                            "Snapshots written to the collector stream (replays included).");
  last_acked_seq_ = gauge("guts_agent_last_acked_seq", "Highest seq the collector acked.");
  spool_depth_ = gauge("guts_agent_spool_depth", "Unacked snapshots in the spool.");
  spool_bytes_ = gauge("guts_agent_spool_bytes", "Bytes of the spool on disk.");
  spool_dropped_ = counter("guts_agent_spool_dropped_total",
                           "Unacked snapshots dropped because the spool was full.");
  reconnects_ = counter("guts_agent_reconnects_total", "Collector stream (re)connect attempts.");
  connected_ = gauge("guts_agent_connected", "1 while the collector stream is up.");
  source_errors_ = &prometheus::BuildCounter()
                        .Name("guts_agent_source_errors_total")
                        .Help("Source runs that failed or were cut off, by source.")
                        .Register(*registry_);
  source_duration_ = &prometheus::BuildGauge()
                          .Name("guts_agent_source_duration_seconds")
                          .Help("Duration of the last run of each source.")
                          .Register(*registry_);
}

void AgentMetrics::SourceRan(std::string_view source, absl::Duration duration, bool ok) {
  std::string name(source);
  source_duration_->Add({{"source", name}}).Set(absl::ToDoubleSeconds(duration));
  auto& errors = source_errors_->Add({{"source", name}});
  if (!ok) errors.Increment();
}

std::string AgentMetrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace guts::agent
