// The door for commands the collector sends down the Connect stream (bundle requests today).
// The bundle room implements it; the stream client calls it.
//
// Example:
//   class BundleCommandHandler : public CommandHandler {
//    public:
//     void Handle(const v1::Command& command,
//                 std::function<void(v1::CommandStatus)> report) override {
//       v1::CommandStatus accepted;
//       accepted.set_command_id(command.id());
//       accepted.set_state(v1::CommandStatus::ACCEPTED);
//       report(accepted);
//       pool_.Schedule([command, report] { ...collect, upload..., report(done); });
//     }
//   };
//   stream_client.SetCommandHandler(std::make_shared<BundleCommandHandler>());
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "guts/diag/v1/agent.pb.h"

namespace guts::agent {

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;

  // Called on the stream's reader thread for every Command received, in arrival order.
  // Must return promptly (no I/O, no waiting): run the work on the handler's own thread, or
  // acks stop being read. `report` sends a CommandStatus back to the collector; it may be
  // called from any thread, any number of times, also after the stream reconnected or after
  // the handler returned. Statuses are sent in the order reported, on the current stream once
  // it is connected; the oldest are dropped beyond 256 waiting.
  virtual void Handle(const ::guts::diag::v1::Command& command,
                      std::function<void(::guts::diag::v1::CommandStatus)> report) = 0;

  // The same, saying which collector ("host:port" from the agent's list) sent the command: an
  // agent streaming to several collectors answers on the stream that asked (`report` already
  // does) and uploads there. The default ignores the collector.
  virtual void HandleFrom(const std::string& collector, const ::guts::diag::v1::Command& command,
                          std::function<void(::guts::diag::v1::CommandStatus)> report) {
    (void)collector;
    Handle(command, std::move(report));
  }
};

}  // namespace guts::agent
