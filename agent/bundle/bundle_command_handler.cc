#include "agent/bundle/bundle_command_handler.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "agent/bundle/bundle_builder.h"
#include "agent/bundle/sources/catalogue.h"

namespace guts::bundle {
namespace v1 = ::guts::diag::v1;
namespace {

v1::CommandStatus Status(const std::string& id, v1::CommandStatus::State state,
                         std::string message = "") {
  v1::CommandStatus s;
  s.set_command_id(id);
  s.set_state(state);
  s.set_message(std::move(message));
  return s;
}

}  // namespace

BundleCommandHandler::BundleCommandHandler(BundleAgentOptions options)
    : options_(std::move(options)) {}

BundleCommandHandler::~BundleCommandHandler() {
  stopping_ = true;
  // Joined without holding mu_: a worker still running takes mu_ once more at its end.
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    worker = std::move(worker_);
  }
  if (worker.joinable()) worker.join();
  // A restarted agent does not know the ids any more: nobody can ask for these archives.
  std::lock_guard<std::mutex> lock(mu_);
  for (Finished& f : finished_) {
    std::error_code ec;
    if (!f.archive_path.empty()) std::filesystem::remove(f.archive_path, ec);
  }
}

void BundleCommandHandler::Handle(const v1::Command& command,
                                  std::function<void(v1::CommandStatus)> report) {
  HandleFrom("", command, std::move(report));
}

void BundleCommandHandler::HandleFrom(const std::string& collector, const v1::Command& command,
                                      std::function<void(v1::CommandStatus)> report) {
  if (!command.has_bundle()) {
    report(Status(command.id(), v1::CommandStatus::REJECTED, "unknown command"));
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  DeleteExpiredArchive(absl::Now());
  const std::string& id = command.id();
  auto asked = [&collector](const Requester& r) { return r.collector == collector; };
  if (busy_ && id == current_id_) {
    // The same bundle, asked by another collector: it gets its own upload of the same archive.
    if (std::any_of(waiting_.begin(), waiting_.end(), asked)) return;
    waiting_.push_back({collector, report});
    report(Status(id, v1::CommandStatus::ACCEPTED));
    return;
  }
  auto done = std::find_if(finished_.begin(), finished_.end(),
                           [&id](const Finished& f) { return f.id == id; });
  if (done != finished_.end()) {
    if (std::find(done->served.begin(), done->served.end(), collector) != done->served.end()) {
      return;
    }
    if (!done->build_error.empty()) {
      report(Status(id, v1::CommandStatus::FAILED, done->build_error));
      return;
    }
    if (done->archive_path.empty()) {
      report(Status(id, v1::CommandStatus::FAILED,
                    absl::StrCat("bundle ", id, " was built ",
                                 absl::FormatDuration(absl::Trunc(absl::Now() - done->finished_at,
                                                                  absl::Seconds(1))),
                                 " ago and its archive is no longer kept; ask for a new one")));
      return;
    }
  }
  if (busy_) {
    report(Status(id, v1::CommandStatus::REJECTED,
                  absl::StrCat("bundle ", current_id_, " is being collected; retry later")));
    return;
  }
  if (worker_.joinable()) worker_.join();  // the previous worker has finished (busy_ is false)
  busy_ = true;
  current_id_ = id;
  waiting_ = {{collector, report}};
  next_upload_ = 0;
  std::optional<Finished> kept;
  if (done != finished_.end()) {
    kept = std::move(*done);
    finished_.erase(done);
  }
  report(Status(id, v1::CommandStatus::ACCEPTED));
  worker_ = std::thread(&BundleCommandHandler::Run, this, command, std::move(kept));
}

void BundleCommandHandler::DeleteExpiredArchive(absl::Time now) {
  for (Finished& f : finished_) {
    if (f.archive_path.empty() || now - f.finished_at < options_.keep_archive_for) continue;
    std::error_code ec;
    std::filesystem::remove(f.archive_path, ec);
    f.archive_path.clear();
  }
}

void BundleCommandHandler::Run(v1::Command command, std::optional<Finished> kept) {
  const std::string id = command.id();
  // Every collector waiting for this bundle hears how its build goes.
  auto tell_waiting = [this](const v1::CommandStatus& s) {
    std::vector<std::function<void(v1::CommandStatus)>> reports;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const Requester& r : waiting_) reports.push_back(r.report);
    }
    for (auto& report : reports) report(s);
  };
  Finished bundle;
  if (kept) {
    bundle = std::move(*kept);
  } else {
    bundle = Build(command, tell_waiting);
  }
  for (;;) {
    Requester to;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_upload_ == waiting_.size()) {
        // Askers from now on find the bundle finished, and get the kept archive.
        busy_ = false;
        current_id_.clear();
        waiting_.clear();
        next_upload_ = 0;
        bundle.finished_at = absl::Now();
        // One archive kept at a time: the newest bundle's.
        for (Finished& f : finished_) {
          std::error_code ec;
          if (!f.archive_path.empty()) std::filesystem::remove(f.archive_path, ec);
          f.archive_path.clear();
        }
        finished_.push_back(std::move(bundle));
        if (finished_.size() > 32) finished_.pop_front();
        return;
      }
      to = waiting_[next_upload_++];
    }
    if (Upload(id, to, bundle)) bundle.served.push_back(to.collector);
  }
}

BundleCommandHandler::Finished BundleCommandHandler::Build(
    const v1::Command& command, const std::function<void(const v1::CommandStatus&)>& tell) {
  const v1::BundleRequest& req = command.bundle();
  const std::string& id = command.id();
  BundlePlan plan;
  plan.bundle_id = id;
  plan.node = options_.node;
  std::vector<std::string> selectors(req.sources().begin(), req.sources().end());
  plan.sources =
      SelectSources(options_.sources ? options_.sources() : DefaultBundleSources(), selectors);
  plan.since = req.since_ms() > 0 ? absl::Milliseconds(req.since_ms()) : options_.default_since;
  plan.timeout =
      req.timeout_ms() > 0 ? absl::Milliseconds(req.timeout_ms()) : options_.default_timeout;
  plan.max_bytes = req.max_bytes() > 0 ? req.max_bytes() : options_.default_max_bytes;
  plan.redact = !req.disable_redaction();
  plan.work_dir = options_.work_dir;
  Finished bundle;
  bundle.id = id;
  bundle.sources_total = static_cast<uint32_t>(plan.sources.size());
  plan.on_progress = [&](uint32_t done, uint32_t all) {
    v1::CommandStatus s = Status(id, v1::CommandStatus::RUNNING);
    s.set_sources_done(done);
    s.set_sources_total(all);
    tell(s);
  };
  v1::CommandStatus running = Status(id, v1::CommandStatus::RUNNING);
  running.set_sources_total(bundle.sources_total);
  tell(running);
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  if (!built.ok()) {
    bundle.build_error = std::string(built.status().message());
    if (bundle.build_error.empty()) bundle.build_error = built.status().ToString();
    return bundle;
  }
  bundle.archive_path = built->archive_path;
  bundle.size_bytes = built->size_bytes;
  bundle.summary = built->summary;
  return bundle;
}

bool BundleCommandHandler::Upload(const std::string& id, const Requester& to,
                                  const Finished& bundle) {
  std::shared_ptr<v1::AgentService::StubInterface> stub = options_.stub;
  if (auto it = options_.stub_by_collector.find(to.collector);
      it != options_.stub_by_collector.end()) {
    stub = it->second;
  }
  const uint32_t total = bundle.sources_total;
  v1::CommandStatus final_status;
  if (!bundle.build_error.empty()) {
    final_status = Status(id, v1::CommandStatus::FAILED, bundle.build_error);
  } else if (stub == nullptr) {
    final_status = Status(id, v1::CommandStatus::FAILED, "no collector connection for the upload");
  } else {
    UploadOptions upload = options_.upload;
    upload.should_stop = [this] { return stopping_.load(); };
    upload.on_progress = [&](uint64_t sent, uint64_t size) {
      v1::CommandStatus s = Status(id, v1::CommandStatus::UPLOADING,
                                   absl::StrCat("uploaded ", sent, " of ", size, " bytes"));
      s.set_sources_done(total);
      s.set_sources_total(total);
      s.set_bytes(sent);
      to.report(s);
    };
    const absl::Status up = UploadBundleArchive(*stub, options_.node.node_id, id,
                                                bundle.archive_path, bundle.summary, upload);
    final_status = up.ok() ? Status(id, v1::CommandStatus::DONE)
                           : Status(id, v1::CommandStatus::FAILED,
                                    absl::StrCat("upload failed: ", up.message()));
    final_status.set_bytes(bundle.size_bytes);
  }
  final_status.set_sources_done(total);
  final_status.set_sources_total(total);
  const bool ok = final_status.state() == v1::CommandStatus::DONE;
  to.report(std::move(final_status));
  return ok;
}

}  // namespace guts::bundle
