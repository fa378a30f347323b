#include "ctl/commands/command.h"

#include <ostream>

#include "absl/strings/str_cat.h"

namespace guts::ctl {

Session::Session(ClientOptions options, Style style, bool json, bool terminal, std::ostream& out,
                 std::ostream& err)
    : options_(std::move(options)),
      style_(style),
      json_(json),
      terminal_(terminal),
      out_(out),
      err_(err) {}

absl::StatusOr<FleetClient*> Session::Client() {
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
