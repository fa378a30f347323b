// What every gutsctl command shares: the global flags, the session a command runs in, the
// exit codes, and how a command group registers its subcommands.
//
// A command group (fleet, node, net, incidents, diag, completion) adds its subcommands to the
// root CLI11 app; the subcommand that parses stores its runner in `selected`, and main runs
// it once parsing succeeded. Runners return the exit code, or a Status whose message is
// printed as "gutsctl: <message>" (INVALID_ARGUMENT exits 2, anything else 1).
//
// Example (a group's .cc):
//   void AddFleetCommands(CLI::App& root, CommandRun& selected) {
//     CLI::App* status = root.add_subcommand("fleet")->add_subcommand("status", "...");
//     status->callback([&selected] { selected = [](Session& s) { ... return kExitOk; }; });
//   }
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "ctl/client.h"
#include "ctl/render/text.h"

namespace guts::ctl {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  // The fleet has an open P1 incident (for scripts and cron).
  kExitOpenP1 = 3,
};

// Flags accepted before or after any command.
struct GlobalFlags {
  // One collector, or several replicas "a:7400,b:7400" (answers come from the first healthy).
  std::string collector = "127.0.0.1:7400";
  // Ask every replica and show where they disagree.
  bool all_collectors = false;
  bool insecure = false;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::string format = "table";
  bool no_color = false;
  std::string deadline = "10s";
};

// The environment a command runs in. Not thread-safe.
class Session {
 public:
  Session(ClientOptions options, Style style, bool json, bool terminal, std::ostream& out,
          std::ostream& err);

  // The collector client, connected on first use. With several collectors (set_collectors),
  // the first that answers a FleetStatus within the deadline; its address is named on stderr,
  // with why the ones before it were skipped. The error names every collector when none does.
  absl::StatusOr<FleetClient*> Client();
  // The same, preferring the first healthy collector whose agent stream from `node_id` is up
  // (a bundle can only come through a collector that hears the node).
  absl::StatusOr<FleetClient*> ClientHearing(const std::string& node_id);

  // The collector replicas gutsctl was given (at least options().collector), and whether
  // --all-collectors was asked for.
  void set_collectors(std::vector<std::string> collectors, bool all);
  const std::vector<std::string>& collectors() const { return collectors_; }
  bool all_collectors() const { return all_collectors_; }

  const ClientOptions& options() const { return options_; }
  const Style& style() const { return style_; }
  // -o json was given.
  bool json() const { return json_; }
  // stdout is a terminal (progress and in-place refresh only then).
  bool terminal() const { return terminal_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

 private:
  ClientOptions options_;
  Style style_;
  bool json_;
  bool terminal_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<FleetClient> client_;
  std::vector<std::string> collectors_;
  bool all_collectors_ = false;
};

using CommandRun = std::function<absl::StatusOr<int>(Session&)>;

// A usage mistake the parser could not catch (bad duration, conflicting flags): exits 2.
absl::Status UsageError(absl::string_view message);

// kExitOpenP1 when any of `incidents` is an open P1, else kExitOk.
int ExitCodeFor(const google::protobuf::RepeatedPtrField<v1::Incident>& incidents);

// "30m", "2s", "1h30m" -> Duration; a UsageError naming `flag` otherwise.
absl::StatusOr<absl::Duration> ParseFlagDuration(absl::string_view flag, absl::string_view text);

}  // namespace guts::ctl
