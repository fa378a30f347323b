// BundleCommandHandler: the agent's answer to a Command{bundle} from the collector.
//
// Handle() returns at once; one worker thread builds the bundle (BuildBundle with the default
// sources, or those the request names), reports progress as CommandStatus (ACCEPTED, RUNNING
// with sources done/total, UPLOADING with bytes, DONE or FAILED), and uploads the archive with
// resume (UploadBundleArchive). One bundle at a time: a request for another id while one runs
// is REJECTED.
//
// A bundle is built once per command id, and every collector that asks for that id gets its
// upload (collector replicas, or gutsctl retrying through another replica with the same id):
// a collector asking while the bundle builds or uploads is added to its uploads; one asking
// after it finished gets the kept archive. The archive of the last bundle is kept for
// `keep_archive_for`, then deleted. A repeat from a collector that already has its upload (or
// has it under way) is ignored: the collector re-sends pending requests after a reconnect.
//
// Thread-safe. The destructor stops the upload and waits for the worker, which waits at most
// for the bundle's own deadline.
//
// Example:
//   BundleAgentOptions opts;
//   opts.node = target;                                  // NodeTarget from the agent's flags
//   opts.work_dir = state_dir + "/bundles";
//   opts.stub = guts::diag::v1::AgentService::NewStub(channel);
//   agent->SetCommandHandler(std::make_shared<BundleCommandHandler>(std::move(opts)));
#ifndef GUTS_AGENT_BUNDLE_BUNDLE_COMMAND_HANDLER_H_
#define GUTS_AGENT_BUNDLE_BUNDLE_COMMAND_HANDLER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "agent/bundle/bundle_source.h"
#include "agent/bundle/bundle_upload.h"
#include "agent/command_handler.h"
#include "guts/diag/v1/agent.grpc.pb.h"

namespace guts::bundle {

struct BundleAgentOptions {
  NodeTarget node;
  std::string work_dir;
  // Where bundles are uploaded: to the collector ("host:port") that sent the command when it
  // is in `stub_by_collector` (several collectors), else to `stub`.
  std::shared_ptr<guts::diag::v1::AgentService::StubInterface> stub;
  std::map<std::string, std::shared_ptr<guts::diag::v1::AgentService::StubInterface>>
      stub_by_collector;
  // Defaults for a request that leaves them at 0.
  absl::Duration default_since = absl::Hours(1);
  absl::Duration default_timeout = absl::Minutes(2);
  uint64_t default_max_bytes = 512ull << 20;
  // The catalogue (tests substitute their own).
  std::function<std::vector<BundleSource>()> sources;
  UploadOptions upload;
  // How long the archive of the last bundle is kept for a collector that asks for the same id
  // later. It is deleted when the next bundle finishes, by the first command that arrives past
  // this age, or when the handler ends (at most one archive is kept).
  absl::Duration keep_archive_for = absl::Minutes(10);
};

class BundleCommandHandler final : public guts::agent::CommandHandler {
 public:
  explicit BundleCommandHandler(BundleAgentOptions options);
  ~BundleCommandHandler() override;

  void Handle(const guts::diag::v1::Command& command,
              std::function<void(guts::diag::v1::CommandStatus)> report) override;
  void HandleFrom(const std::string& collector, const guts::diag::v1::Command& command,
                  std::function<void(guts::diag::v1::CommandStatus)> report) override;

 private:
  // A collector waiting for the bundle (or its upload), and how to answer it.
  struct Requester {
    std::string collector;
    std::function<void(guts::diag::v1::CommandStatus)> report;
  };
  // What a finished bundle leaves for later askers.
  struct Finished {
    std::string id;
    std::string archive_path;  // "" once deleted (or never built)
    uint64_t size_bytes = 0;
    guts::diag::v1::BundleSummary summary;
    uint32_t sources_total = 0;
    std::string build_error;          // the build failed: every asker gets FAILED with it
    std::vector<std::string> served;  // collectors whose upload succeeded
    absl::Time finished_at;
  };

  // The worker: builds the bundle (unless `kept` holds it already), then uploads it to every
  // asker, including those who ask meanwhile.
  void Run(guts::diag::v1::Command command, std::optional<Finished> kept);
  Finished Build(const guts::diag::v1::Command& command,
                 const std::function<void(const guts::diag::v1::CommandStatus&)>& tell);
  // Uploads to `to` and reports the outcome there; true when the collector has it.
  bool Upload(const std::string& id, const Requester& to, const Finished& bundle);
  // REQUIRES: mu_ held.
  void DeleteExpiredArchive(absl::Time now);

  const BundleAgentOptions options_;
  std::mutex mu_;
  std::thread worker_;
  bool busy_ = false;
  std::string current_id_;
  // The running bundle's askers, in order; `next_upload_` indexes the next one to serve.
  std::vector<Requester> waiting_;
  size_t next_upload_ = 0;
  std::deque<Finished> finished_;
  std::atomic<bool> stopping_{false};
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_BUNDLE_COMMAND_HANDLER_H_
