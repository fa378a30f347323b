#include "ctl/commands/diag.h"

#include <filesystem>
#include <map>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/bundle_file.h"
#include "ctl/render/json.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

struct DiagFlags {
  std::string node;
  std::string nodes;
  bool all = false;
  std::string since = "1h";
  std::string output;
  std::string timeout = "2m";
  std::string node_filter;
  uint32_t limit = 0;
  std::string id;
};

// Downloads are sized by the archive, not by one RPC: allow a generous bound.
constexpr absl::Duration kDownloadDeadline = absl::Minutes(10);

std::string StateWord(v1::BundleState state) {
  std::string name = v1::BundleState_Name(state);
  absl::string_view word = name;
  absl::ConsumePrefix(&word, "BUNDLE_");
  return absl::AsciiStrToLower(word);
}

std::string ProgressLine(const v1::CollectProgress& progress) {
  std::string line =
      absl::StrCat(progress.bundle().node_id(), "  ", StateWord(progress.bundle().state()));
  if (progress.sources_total() > 0) {
    absl::StrAppend(&line, "  ", progress.sources_done(), "/", progress.sources_total(),
                    " sources");
  }
  if (!progress.message().empty()) absl::StrAppend(&line, "  ", progress.message());
  return line;
}

// On a terminal: one line, rewritten in place, with every node's latest state.
std::string ProgressBar(const std::map<std::string, v1::CollectProgress>& latest) {
  std::vector<std::string> parts;
  for (const auto& [node, progress] : latest) {
    std::string part = absl::StrCat(node, " ", StateWord(progress.bundle().state()));
    if (progress.sources_total() > 0 && progress.bundle().state() == v1::BUNDLE_RUNNING) {
      absl::StrAppend(&part, " ", progress.sources_done(), "/", progress.sources_total());
    }
    parts.push_back(part);
  }
  return absl::StrCat("\r\x1b[K", "collecting: ", absl::StrJoin(parts, "  |  "));
}

absl::StatusOr<int> Collect(Session& session, const DiagFlags& flags) {
  v1::CollectBundleRequest request;
  int chosen = !flags.node.empty() + !flags.nodes.empty() + flags.all;
  if (chosen != 1) return UsageError("give exactly one of --node X, --nodes a,b or --all");
  if (!flags.node.empty()) request.add_node_ids(flags.node);
  for (absl::string_view name : absl::StrSplit(flags.nodes, ',', absl::SkipWhitespace())) {
    request.add_node_ids(std::string(absl::StripAsciiWhitespace(name)));
  }
  request.set_all(flags.all);
  absl::StatusOr<absl::Duration> since = ParseFlagDuration("--since", flags.since);
  if (!since.ok()) return since.status();
  absl::StatusOr<absl::Duration> timeout = ParseFlagDuration("--timeout", flags.timeout);
  if (!timeout.ok()) return timeout.status();
  request.set_since_ms(absl::ToInt64Milliseconds(*since));
  request.set_timeout_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(*timeout)));

  // With collector replicas: one that hears the node (its bundle comes through that one).
  absl::StatusOr<FleetClient*> client =
      request.node_ids_size() == 1 ? session.ClientHearing(request.node_ids(0)) : session.Client();
  if (!client.ok()) return client.status();
  bool bar = session.terminal() && !session.json();
  std::ostream& progress_out = session.json() ? session.err() : session.out();
  std::map<std::string, v1::CollectProgress> latest;
  absl::Status streamed = (*client)->CollectBundle(
      request, *timeout + absl::Seconds(30), [&](const v1::CollectProgress& progress) {
        latest[progress.bundle().node_id()] = progress;
        if (bar) {
          progress_out << ProgressBar(latest);
        } else {
          progress_out << ProgressLine(progress) << "\n";
        }
        progress_out.flush();
      });
  if (bar) progress_out << "\n";
  if (!streamed.ok()) return streamed;

  bool several = latest.size() > 1;
  if (several && !flags.output.empty()) {
    std::error_code error;
    std::filesystem::create_directories(flags.output, error);
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create ", flags.output, ": ", error.message()));
    }
  }
  int exit_code = kExitOk;
  v1::BundleList results;
  std::string report;
  for (const auto& [node, progress] : latest) {
    v1::BundleInfo info = progress.bundle();
    std::string file;
    if (info.state() == v1::BUNDLE_COMPLETE) {
      absl::StatusOr<DownloadedBundle> got =
          DownloadBundleFile(**client, info.id(), flags.output, kDownloadDeadline);
      if (!got.ok()) {
        info.set_error(std::string(got.status().message()));
        exit_code = kExitError;
      } else {
        file = got->path;
        if (got->info.size_bytes() != 0) info.set_size_bytes(got->info.size_bytes());
        if (!got->info.sha256().empty()) info.set_sha256(got->info.sha256());
      }
    } else if (info.state() != v1::BUNDLE_PENDING) {
      exit_code = kExitError;
    }
    *results.add_bundles() = info;
    absl::StrAppend(&report, RenderBundleOutcome(info, file, session.style()));
    if (info.state() == v1::BUNDLE_COMPLETE && file.empty()) {
      absl::StrAppend(&report, "  ", Paint(info.error(), Tone::kBad, session.style()), "\n");
    }
  }
  if (latest.empty()) {
    return absl::FailedPreconditionError(
        "the collector reported no node to collect from (gutsctl fleet status lists them)");
  }
  session.out() << (session.json() ? RenderJson(results) : report);
  return exit_code;
}

absl::StatusOr<int> List(Session& session, const DiagFlags& flags) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  v1::ListBundlesRequest request;
  request.set_node_id(flags.node_filter);
  request.set_limit(flags.limit);
  absl::StatusOr<v1::BundleList> list = (*client)->Bundles(request);
  if (!list.ok()) return list.status();
  session.out() << (session.json() ? RenderJson(*list)
                                   : RenderBundleListTable(*list, session.style()));
  return kExitOk;
}

absl::StatusOr<int> Get(Session& session, const DiagFlags& flags) {
  absl::StatusOr<FleetClient*> client = session.Client();
  if (!client.ok()) return client.status();
  absl::StatusOr<DownloadedBundle> got =
      DownloadBundleFile(**client, flags.id, flags.output, kDownloadDeadline);
  if (!got.ok()) return got.status();
  session.out() << (session.json() ? RenderJson(got->info)
                                   : RenderBundleOutcome(got->info, got->path, session.style()));
  return kExitOk;
}

}  // namespace

void AddDiagCommands(CLI::App& root, CommandRun& selected) {
  CLI::App* diag = root.add_subcommand("diag", "Diagnostic bundles from the nodes");
  diag->require_subcommand(1);
  auto flags = std::make_shared<DiagFlags>();

  CLI::App* collect = diag->add_subcommand(
      "collect",
      "Ask agents for a bundle (logs, state, figures; secrets redacted), show progress, then "
      "download and verify it. An offline node's request is queued: reported as pending.");
  collect->add_option("--node", flags->node, "One node");
  collect->add_option("--nodes", flags->nodes, "Several nodes, comma-separated");
  collect->add_flag("--all", flags->all, "Every known node");
  collect->add_option("--since", flags->since, "Window of logs and history")->capture_default_str();
  collect->add_option("--output", flags->output,
                      "File (one node) or directory (several); default <node>-<time>.tar.gz");
  collect->add_option("--timeout", flags->timeout, "Per-node timeout")->capture_default_str();
  collect->footer(
      "Examples:\n"
      "  gutsctl diag collect --node v3\n"
      "  gutsctl diag collect --nodes v1,v5 --since 30m --output ./bundles\n"
      "  gutsctl diag collect --all --timeout 5m");
  collect->callback([flags, &selected] {
    selected = [flags](Session& session) { return Collect(session, *flags); };
  });

  CLI::App* list = diag->add_subcommand("list", "Stored and pending bundles");
  list->add_option("--node", flags->node_filter, "Only this node's");
  list->add_option("--limit", flags->limit, "At most this many");
  list->footer(
      "Examples:\n"
      "  gutsctl diag list\n"
      "  gutsctl diag list --node v3 -o json");
  list->callback([flags, &selected] {
    selected = [flags](Session& session) { return List(session, *flags); };
  });

  CLI::App* get = diag->add_subcommand("get", "Download a stored bundle and verify its sha256");
  get->add_option("id", flags->id, "Bundle id (gutsctl diag list lists them)")->required();
  get->add_option("--output", flags->output, "File or directory; default <node>-<time>.tar.gz");
  get->footer(
      "Examples:\n"
      "  gutsctl diag get b-20261130-0007\n"
      "  gutsctl diag get b-20261130-0007 --output /tmp/v3.tar.gz");
  get->callback([flags, &selected] {
    selected = [flags](Session& session) { return Get(session, *flags); };
  });
}

}  // namespace guts::ctl
