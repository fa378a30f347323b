#include "sim/control_api.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "sim/fault_command.h"

namespace guts::sim {
namespace {

HttpReply Error(int status, const std::string& message) {
  return HttpReply{status, "application/json", nlohmann::json{{"error", message}}.dump()};
}

}  // namespace

ControlApi::ControlApi(asio::io_context& io, int node_count, Apply apply)
    : node_count_(node_count),
      apply_(std::move(apply)),
      http_(io, [this](const HttpRequest& r) { return Serve(r); }) {}

absl::Status ControlApi::Listen(const std::string& host, int port) {
  return http_.Listen(host, port);
}

HttpReply ControlApi::Serve(const HttpRequest& request) {
  if (request.path == "/v1/status" && request.method == "GET") {
    absl::StatusOr<nlohmann::json> status = apply_(*ParseFaultCommand({"status"}, node_count_));
    if (!status.ok()) return Error(500, std::string(status.status().message()));
    return HttpReply{200, "application/json", status->dump()};
  }
  if (request.path != "/v1/command") return Error(404, "not found");
  if (request.method != "POST") return Error(405, "use POST");
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("args") || !body["args"].is_array()) {
    return Error(400, "expected a JSON body {\"args\": [\"command\", ...]}");
  }
  std::vector<std::string> words;
  for (const auto& w : body["args"]) {
    if (!w.is_string()) return Error(400, "every element of args must be a string");
    words.push_back(w.get<std::string>());
  }
  absl::StatusOr<FaultCommand> command = ParseFaultCommand(words, node_count_);
  if (!command.ok()) return Error(400, std::string(command.status().message()));
  absl::StatusOr<nlohmann::json> reply = apply_(*command);
  if (!reply.ok()) {
    spdlog::warn("control: '{}' failed: {}", command->text, std::string(reply.status().message()));
    return Error(409, std::string(reply.status().message()));
  }
  spdlog::info("control: {}", command->text);
  return HttpReply{200, "application/json", reply->dump()};
}

}  // namespace guts::sim
