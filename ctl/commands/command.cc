#include "ctl/commands/command.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ctl/replicas.h"

namespace guts::ctl {

Session::Session(ClientOptions options, Style style, bool json, bool terminal, std::ostream& out,
                 std::ostream& err)
    : options_(std::move(options)),
      style_(style),
      json_(json),
      terminal_(terminal),
      out_(out),
      err_(err) {}

void Session::set_collectors(std::vector<std::string> collectors, bool all) {
  if (!collectors.empty()) {
    collectors_ = std::move(collectors);
    options_.collector = collectors_.front();
  }
  all_collectors_ = all;
}

absl::StatusOr<FleetClient*> Session::Client() { return ClientHearing(""); }

absl::StatusOr<FleetClient*> Session::ClientHearing(const std::string& node_id) {
  if (client_ == nullptr && collectors_.size() > 1) {
    if (options_.tls.insecure) err_ << "gutsctl: warning: running without TLS (--insecure)\n";
    // Replicas in order: the first healthy one (that hears `node_id`, when one does) answers.
    std::vector<std::string> skipped, failures;
    std::unique_ptr<FleetClient> fallback;
    for (const std::string& collector : collectors_) {
      ClientOptions one = options_;
      one.collector = collector;
      absl::StatusOr<std::unique_ptr<FleetClient>> client = FleetClient::Connect(one);
      if (!client.ok()) return client.status();
      absl::StatusOr<v1::FleetStatus> status = (*client)->FleetStatus();
      if (!status.ok()) {
        // Short on the "answering from" line; the whole reasons when none answers.
        const absl::Status& why = status.status();
        skipped.push_back(absl::StrCat(collector, " (",
                                       absl::IsUnavailable(why)        ? "unreachable"
                                       : absl::IsDeadlineExceeded(why) ? "no answer in time"
                                                                       : why.message(),
                                       ")"));
        failures.push_back(std::string(why.message()));
        continue;
      }
      bool hears = node_id.empty();
      for (const v1::NodeStatus& node : status->nodes()) {
        if (node.node_id() == node_id && HearsNode(node)) hears = true;
      }
      if (hears) {
        client_ = *std::move(client);
        break;
      }
      if (fallback == nullptr) {
        fallback = *std::move(client);
      } else {
        skipped.push_back(absl::StrCat(collector, " (does not hear ", node_id, ")"));
      }
    }
    bool hearing = client_ != nullptr;
    if (client_ == nullptr) client_ = std::move(fallback);
    if (client_ == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("no collector answered: ", absl::StrJoin(failures, "; ")));
    }
    options_.collector = client_->collector();
    err_ << "gutsctl: answering from collector " << client_->collector();
    if (!hearing) err_ << " (no replica hears " << node_id << " now)";
    if (!skipped.empty()) err_ << " (skipped " << absl::StrJoin(skipped, "; ") << ")";
    err_ << "\n";
  }
  if (client_ == nullptr) {
    if (options_.tls.insecure) err_ << "gutsctl: warning: running without TLS (--insecure)\n";
    absl::StatusOr<std::unique_ptr<FleetClient>> client = FleetClient::Connect(options_);
    if (!client.ok()) return client.status();
    client_ = *std::move(client);
  }
  return client_.get();
}

absl::Status UsageError(absl::string_view message) { return absl::InvalidArgumentError(message); }

int ExitCodeFor(const google::protobuf::RepeatedPtrField<v1::Incident>& incidents) {
  for (const v1::Incident& incident : incidents) {
    if (incident.state() == v1::OPEN && incident.severity() == v1::P1) return kExitOpenP1;
  }
  return kExitOk;
}

absl::StatusOr<absl::Duration> ParseFlagDuration(absl::string_view flag, absl::string_view text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) || duration <= absl::ZeroDuration()) {
    return UsageError(absl::StrCat(flag, ": \"", text,
                                   "\" is not a positive duration (examples: 2s, 30m, 1h30m)"));
  }
  return duration;
}

}  // namespace guts::ctl
