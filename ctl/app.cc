#include "ctl/app.h"

#include <cstdlib>
#include <exception>
#include <ostream>

#include "common/version.h"
#include "ctl/commands/command.h"
#include "ctl/commands/completion.h"
#include "ctl/commands/diag.h"
#include "ctl/commands/fleet.h"
#include "ctl/commands/incidents.h"
#include "ctl/commands/maintenance.h"
#include "ctl/commands/net.h"
#include "ctl/commands/node.h"
#include "ctl/replicas.h"

namespace guts::ctl {
namespace {

constexpr char kFooter[] =
    "Examples:\n"
    "  gutsctl fleet status                       # incidents, then every node\n"
    "  gutsctl net partitions                     # who is on which side, who holds quorum\n"
    "  gutsctl net graph -o png --file fleet.png  # the peer graph as a picture\n"
    "  gutsctl incident show inc-7                # evidence and runbook\n"
    "  gutsctl diag collect --node v3             # a diagnostic bundle from v3\n"
    "  gutsctl --collector c0:7400,c1:7400 --all-collectors fleet status  # replicas\n"
    "  GUTSCTL_COLLECTOR=10.0.0.5:7400 gutsctl --tls-cert me.crt --tls-key me.key \\\n"
    "      --tls-ca ca.crt fleet status -o json\n"
    "\n"
    "Exit codes: 0 ok, 1 error, 2 usage, 3 the fleet has an open P1 incident.\n"
    "Colour only on a terminal; never with --no-color or NO_COLOR set.\n"
    "Shell completion: source <(gutsctl completion bash)";

bool ColorWanted(bool terminal, bool no_color) {
  const char* env = std::getenv("NO_COLOR");
  return terminal && !no_color && (env == nullptr || env[0] == '\0');
}

absl::StatusOr<int> Run(const GlobalFlags& flags, const CommandRun& selected, std::ostream& out,
                        std::ostream& err, bool terminal) {
  absl::StatusOr<absl::Duration> deadline = ParseFlagDuration("--deadline", flags.deadline);
  if (!deadline.ok()) return deadline.status();
  // Member by member: GCC 12 at -O3 misreads a nested designated initializer here as
  // "maybe uninitialized".
  ClientOptions options;
  options.collector = flags.collector;
  options.tls.insecure = flags.insecure;
  options.tls.cert_file = flags.tls_cert;
  options.tls.key_file = flags.tls_key;
  options.tls.ca_file = flags.tls_ca;
  options.deadline = *deadline;
  absl::StatusOr<std::vector<std::string>> collectors = ParseCollectorList(flags.collector);
  if (!collectors.ok()) return collectors.status();
  Session session(options, Style{.color = ColorWanted(terminal, flags.no_color)},
                  flags.format == "json", terminal, out, err);
  session.set_collectors(*std::move(collectors), flags.all_collectors);
  return selected(session);
}

}  // namespace

int RunGutsctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
               bool terminal) {
  CLI::App app("gutsctl: the Guts fleet from one terminal (ask the guts-collector).", "gutsctl");
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(kFooter);
  app.set_version_flag("--version", kVersion);
  GlobalFlags flags;
  app.add_option("--collector", flags.collector,
                 "Collector gRPC address host:port, or replicas a:7400,b:7400 (the first "
                 "healthy one answers)")
      ->envname("GUTSCTL_COLLECTOR")
      ->capture_default_str();
  app.add_flag("--all-collectors", flags.all_collectors,
               "Ask every collector replica and show where they disagree");
  app.add_flag("--insecure", flags.insecure, "Plain text, no TLS (development only)")
      ->envname("GUTSCTL_INSECURE");
  app.add_option("--tls-cert", flags.tls_cert, "PEM client certificate")
      ->envname("GUTSCTL_TLS_CERT");
  app.add_option("--tls-key", flags.tls_key, "PEM client key")->envname("GUTSCTL_TLS_KEY");
  app.add_option("--tls-ca", flags.tls_ca, "PEM CA of the collector")->envname("GUTSCTL_TLS_CA");
  app.add_option("-o,--format", flags.format, "Output: table (for people) or json (for scripts)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_flag("--no-color", flags.no_color, "Never colour the output (also: NO_COLOR=1)");
  app.add_option("--deadline", flags.deadline, "Deadline of each call to the collector")
      ->capture_default_str();

  CommandRun selected;
  AddFleetCommands(app, selected);
  AddNodeCommands(app, selected);
  AddNetCommands(app, selected);
  AddIncidentCommands(app, selected);
  AddMaintenanceCommands(app, selected);
  AddDiagCommands(app, selected);
  AddCompletionCommand(app, selected);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 reports an unknown command as "A subcommand is required"; name the word instead.
    std::vector<std::string> unknown = app.remaining();
    if (error.get_exit_code() != 0 && !unknown.empty() && unknown.front()[0] != '-') {
      err << "gutsctl: unknown command \"" << unknown.front()
          << "\" (gutsctl --help lists the commands)\n";
      return kExitUsage;
    }
    int code = app.exit(error, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!selected) {
    err << "gutsctl: no command given (gutsctl --help lists them)\n";
    return kExitUsage;
  }
  absl::StatusOr<int> code;
  try {
    code = Run(flags, selected, out, err, terminal);
  } catch (const std::exception& error) {
    code = absl::InternalError(error.what());
  }
  if (!code.ok()) {
    err << "gutsctl: " << code.status().message() << "\n";
    return code.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitError;
  }
  return *code;
}

}  // namespace guts::ctl
