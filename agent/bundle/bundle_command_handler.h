// BundleCommandHandler: the agent's answer to a Command{bundle} from the collector.
//
// Handle() returns at once; one worker thread builds the bundle (BuildBundle with the default
// sources, or those the request names), reports progress as CommandStatus (ACCEPTED, RUNNING
// with sources done/total, UPLOADING with bytes, DONE or FAILED), uploads the archive with
// resume (UploadBundleArchive) and deletes the local archive afterwards. One bundle at a time:
// a second request while one runs is REJECTED; a repeat of the running or a finished id (the
// collector re-sends pending requests after a reconnect) is ignored, whichever collector sends
// it: a bundle is built once per command id, and uploaded to the collector that asked.
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
  void Run(std::string collector, guts::diag::v1::Command command,
           std::function<void(guts::diag::v1::CommandStatus)> report);

  const BundleAgentOptions options_;
  std::mutex mu_;
  std::thread worker_;
  bool busy_ = false;
  std::string current_id_;
  std::deque<std::string> finished_ids_;
  std::atomic<bool> stopping_{false};
};

}  // namespace guts::bundle

#endif  // GUTS_AGENT_BUNDLE_BUNDLE_COMMAND_HANDLER_H_
