#include "agent/bundle/bundle_command_handler.h"

#include <algorithm>
#include <filesystem>

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
  if (command.id() == current_id_ ||
      std::find(finished_ids_.begin(), finished_ids_.end(), command.id()) != finished_ids_.end()) {
    return;
  }
  if (busy_) {
    report(Status(command.id(), v1::CommandStatus::REJECTED,
                  absl::StrCat("bundle ", current_id_, " is being collected; retry later")));
    return;
  }
  if (worker_.joinable()) worker_.join();  // the previous worker has finished (busy_ is false)
  busy_ = true;
  current_id_ = command.id();
  report(Status(command.id(), v1::CommandStatus::ACCEPTED));
  worker_ = std::thread(&BundleCommandHandler::Run, this, collector, command, std::move(report));
}

void BundleCommandHandler::Run(std::string collector, v1::Command command,
                               std::function<void(v1::CommandStatus)> report) {
  std::shared_ptr<v1::AgentService::StubInterface> stub = options_.stub;
  if (auto it = options_.stub_by_collector.find(collector);
      it != options_.stub_by_collector.end()) {
    stub = it->second;
  }
  const v1::BundleRequest& req = command.bundle();
  const std::string id = command.id();
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
  const uint32_t total = static_cast<uint32_t>(plan.sources.size());
  plan.on_progress = [&](uint32_t done, uint32_t all) {
    v1::CommandStatus s = Status(id, v1::CommandStatus::RUNNING);
    s.set_sources_done(done);
    s.set_sources_total(all);
    report(s);
  };
  v1::CommandStatus running = Status(id, v1::CommandStatus::RUNNING);
  running.set_sources_total(total);
  report(running);

  v1::CommandStatus final_status;
  absl::StatusOr<BuiltBundle> built = BuildBundle(plan);
  if (!built.ok()) {
    final_status = Status(id, v1::CommandStatus::FAILED, std::string(built.status().message()));
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
      report(s);
    };
    const absl::Status up = UploadBundleArchive(*stub, options_.node.node_id, id,
                                                built->archive_path, built->summary, upload);
    final_status = up.ok() ? Status(id, v1::CommandStatus::DONE)
                           : Status(id, v1::CommandStatus::FAILED,
                                    absl::StrCat("upload failed: ", up.message()));
    final_status.set_bytes(built->size_bytes);
    std::error_code ec;
    std::filesystem::remove(built->archive_path, ec);
  }
  final_status.set_sources_done(total);
  final_status.set_sources_total(total);
  report(final_status);
  std::lock_guard<std::mutex> lock(mu_);
  busy_ = false;
  current_id_.clear();
  finished_ids_.push_back(id);
  if (finished_ids_.size() > 32) finished_ids_.pop_front();
}

}  // namespace guts::bundle
