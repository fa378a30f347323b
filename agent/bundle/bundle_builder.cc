#include "agent/bundle/bundle_builder.h"

#include <re2/re2.h>
#include <sys/stat.h>

#include <condition_variable>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/bundle/archive_writer.h"
#include "bundle_format/entry_name.h"

namespace guts::bundle {
namespace {

// State one source thread shares with the builder. The thread writes `out` until it sets
// `done` under `mu`; after that only the builder touches `out`. An abandoned run is kept alive
// by the thread's own reference.
struct SourceRun {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  absl::Status status;
  absl::Duration duration;
  std::unique_ptr<SourceOutput> out;
};

bool SafeId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Key files the node's configuration names (key_file: /path, private_key_path = ...): they
// join the deny-list so no source ever opens them.
std::vector<std::string> KeyPathsNamedBy(const NodeTarget& node, const DenyList& base) {
  static const RE2* const kKeyPath = new RE2(
      R"((?i)(?:key_?file|key_?path|private_key_(?:file|path))["']?\s*[:=]\s*["']?([^"'\s,}]+))");
  std::vector<std::string> paths = node.denied_paths;
  for (const std::string& config : node.config_paths) {
    if (base.Denies(config)) continue;
    struct stat st {};
    if (::stat(config.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
      continue;
    }
    std::ifstream in(config);
    std::string line, path;
    while (std::getline(in, line)) {
      if (RE2::PartialMatch(line, *kKeyPath, &path)) paths.push_back(path);
    }
  }
  return paths;
}

void StartSource(const BundleSource& source, std::shared_ptr<const SourceContext> ctx,
                 std::shared_ptr<SourceRun> run) {
  auto body = [collect = source.collect, ctx = std::move(ctx), run]() {
    const absl::Time start = absl::Now();
    absl::Status status;
    try {
      status = collect(*ctx, *run->out);
    } catch (const std::exception& e) {
      status = absl::InternalError(absl::StrCat("exception: ", e.what()));
    }
    run->out->Finish();
    if (status.ok() && !run->out->status().ok()) status = run->out->status();
    std::lock_guard<std::mutex> lock(run->mu);
    run->status = status;
    run->duration = absl::Now() - start;
    run->done = true;
    run->cv.notify_all();
  };
  try {
    std::thread(std::move(body)).detach();
  } catch (const std::system_error& e) {
    std::lock_guard<std::mutex> lock(run->mu);
    run->status = absl::ResourceExhaustedError(absl::StrCat("cannot start thread: ", e.what()));
    run->done = true;
  }
}

}  // namespace

absl::StatusOr<BuiltBundle> BuildBundle(const BundlePlan& plan) {
  if (!SafeId(plan.bundle_id)) {
    return absl::InvalidArgumentError(absl::StrCat("unsafe bundle id \"", plan.bundle_id, "\""));
  }
  std::set<std::string> entries = {"manifest.json"};
  for (const BundleSource& s : plan.sources) {
    if (absl::Status st = ValidateEntryName(s.entry); !st.ok()) return st;
    if (!entries.insert(s.entry).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate archive entry ", s.entry));
    }
    if (!s.collect)
      return absl::InvalidArgumentError(absl::StrCat("source ", s.name, " has no collect"));
  }
  std::error_code ec;
  std::filesystem::create_directories(plan.work_dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create ", plan.work_dir, ": ", ec.message()));

  const absl::Time now = absl::Now();
  const DenyList base_deny;
  auto ctx = std::make_shared<const SourceContext>(SourceContext{
      plan.node, DenyList(KeyPathsNamedBy(plan.node, base_deny)), now - plan.since, now});

  std::vector<std::shared_ptr<SourceRun>> runs;
  for (const BundleSource& source : plan.sources) {
    auto run = std::make_shared<SourceRun>();
    run->out = std::make_unique<SourceOutput>(source.max_bytes, plan.redact);
    runs.push_back(run);
    StartSource(source, ctx, run);
  }

  BuiltBundle built;
  built.archive_path =
      (std::filesystem::path(plan.work_dir) / (plan.bundle_id + ".tar.gz")).string();
  ArchiveWriter writer;
  if (absl::Status st = writer.Open(built.archive_path, now); !st.ok()) return st;

  nlohmann::json manifest_sources = nlohmann::json::array();
  uint64_t total_bytes = 0, total_redactions = 0;
  const uint32_t count = static_cast<uint32_t>(plan.sources.size());
  for (uint32_t i = 0; i < count; ++i) {
    const BundleSource& source = plan.sources[i];
    SourceRun& run = *runs[i];
    const absl::Time deadline = now + std::min(source.timeout, plan.timeout);
    guts::diag::v1::SourceOutcome* outcome = built.summary.add_sources();
    outcome->set_name(source.name);
    {
      std::unique_lock<std::mutex> lock(run.mu);
      run.cv.wait_until(lock, absl::ToChronoTime(deadline), [&run] { return run.done; });
      if (!run.done) {
        outcome->set_status("timed_out");
        outcome->set_duration_ms(
            static_cast<uint32_t>(absl::ToInt64Milliseconds(absl::Now() - now)));
        outcome->set_error(absl::StrCat(
            "no result within ", absl::FormatDuration(std::min(source.timeout, plan.timeout)),
            "; abandoned"));
      }
    }
    if (outcome->status().empty()) {
      // The source thread is finished: `run.out` is ours alone now.
      SourceOutput& out = *run.out;
      outcome->set_duration_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(run.duration)));
      outcome->set_redactions(out.redactions());
      if (!run.status.ok()) {
        outcome->set_status("failed");
        outcome->set_error(std::string(run.status.message()));
      } else {
        outcome->set_status(out.truncated() ? "truncated" : "ok");
      }
      if (out.bytes() > 0 && total_bytes + out.bytes() > plan.max_bytes) {
        outcome->set_status("skipped");
        outcome->set_error("bundle byte cap reached");
      } else if (out.bytes() > 0) {
        if (absl::Status st = writer.AddFile(source.entry, out.file(), out.bytes()); !st.ok())
          return st;
        total_bytes += out.bytes();
        outcome->set_bytes(out.bytes());
        outcome->set_sha256(out.sha256_hex());
      }
      total_redactions += out.redactions();
      run.out.reset();
    }
    const std::string& status = outcome->status();
    if (status == "ok") built.summary.set_sources_ok(built.summary.sources_ok() + 1);
    if (status == "failed" || status == "skipped")
      built.summary.set_sources_failed(built.summary.sources_failed() + 1);
    if (status == "timed_out")
      built.summary.set_sources_timed_out(built.summary.sources_timed_out() + 1);
    if (status == "truncated")
      built.summary.set_sources_truncated(built.summary.sources_truncated() + 1);
    manifest_sources.push_back({{"name", source.name},
                                {"entry", source.entry},
                                {"status", status},
                                {"duration_ms", outcome->duration_ms()},
                                {"bytes", outcome->bytes()},
                                {"max_bytes", source.max_bytes},
                                {"timeout_ms", absl::ToInt64Milliseconds(source.timeout)},
                                {"sha256", outcome->sha256()},
                                {"redactions", outcome->redactions()},
                                {"error", outcome->error()}});
    if (plan.on_progress) plan.on_progress(i + 1, count);
  }
  built.summary.set_redactions(total_redactions);

  const nlohmann::json manifest = {
      {"bundle_id", plan.bundle_id},
      {"node_id", plan.node.node_id},
      {"created_at", absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())},
      {"since", absl::FormatTime(absl::RFC3339_sec, ctx->since, absl::UTCTimeZone())},
      {"redaction", plan.redact},
      {"redactions", total_redactions},
      {"sources_ok", built.summary.sources_ok()},
      {"sources_failed", built.summary.sources_failed()},
      {"sources_timed_out", built.summary.sources_timed_out()},
      {"sources_truncated", built.summary.sources_truncated()},
      {"sources", manifest_sources}};
  if (absl::Status st = writer.AddText("manifest.json", manifest.dump(2) + "\n"); !st.ok())
    return st;
  if (absl::Status st = writer.Close(); !st.ok()) return st;
  built.size_bytes = std::filesystem::file_size(built.archive_path, ec);
  return built;
}

}  // namespace guts::bundle
