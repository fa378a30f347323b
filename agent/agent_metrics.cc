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
  last_acked_seq_ =
      gauge("guts_agent_last_acked_seq", "Highest seq every collector acked (the spool floor).");
  spool_depth_ = gauge("guts_agent_spool_depth", "Unacked snapshots in the spool.");
  spool_bytes_ = gauge("guts_agent_spool_bytes", "Bytes of the spool on disk.");
  spool_dropped_ = counter("guts_agent_spool_dropped_total",
                           "Unacked snapshots dropped because the spool was full.");
  reconnects_ = counter("guts_agent_reconnects_total", "Collector stream (re)connect attempts.");
  connected_ = gauge("guts_agent_connected", "Collector streams up (1 with one collector).");
  source_errors_ = &prometheus::BuildCounter()
                        .Name("guts_agent_source_errors_total")
                        .Help("Source runs that failed or were cut off, by source.")
                        .Register(*registry_);
  source_duration_ = &prometheus::BuildGauge()
                          .Name("guts_agent_source_duration_seconds")
                          .Help("Duration of the last run of each source.")
                          .Register(*registry_);
  collector_connected_ = &prometheus::BuildGauge()
                              .Name("guts_agent_collector_connected")
                              .Help("1 while the stream to this collector is up.")
                              .Register(*registry_);
  collector_last_acked_ = &prometheus::BuildGauge()
                               .Name("guts_agent_collector_last_acked_seq")
                               .Help("Highest seq this collector acked.")
                               .Register(*registry_);
  collector_reconnects_ = &prometheus::BuildCounter()
                               .Name("guts_agent_collector_reconnects_total")
                               .Help("Stream (re)connect attempts to this collector.")
                               .Register(*registry_);
  collector_dropped_ = &prometheus::BuildCounter()
                            .Name("guts_agent_collector_spool_dropped_total")
                            .Help("Snapshots dropped for space before this collector acked them.")
                            .Register(*registry_);
}

AgentMetrics::Collector AgentMetrics::ForCollector(const std::string& address) {
  const prometheus::Labels labels = {{"collector", address}};
  return Collector{.connected = &collector_connected_->Add(labels),
                   .last_acked_seq = &collector_last_acked_->Add(labels),
                   .reconnects = &collector_reconnects_->Add(labels),
                   .spool_dropped = &collector_dropped_->Add(labels)};
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
