#include "common/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"

namespace guts {
namespace {

HttpRequest ToRequest(const httplib::Request& req) {
  return HttpRequest{req.path, req.body,
                     [&req](const std::string& key) { return req.get_param_value(key); }};
}

void Write(const HttpResponse& r, httplib::Response& res) {
  res.status = r.status;
  res.set_content(r.body, r.content_type.c_str());
}

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {
  // Operational endpoints see little traffic: a small pool keeps idle processes light.
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // httplib's default also sets SO_REUSEPORT, which would let a second process silently
  // share our port; a port conflict must be an error instead.
  impl_->server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& path, std::function<HttpResponse()> handler) {
  impl_->server.Get(
      path, [handler](const httplib::Request&, httplib::Response& res) { Write(handler(), res); });
}

void HttpServer::Get(const std::string& path,
                     std::function<HttpResponse(const HttpRequest&)> handler) {
  impl_->server.Get(path, [handler](const httplib::Request& req, httplib::Response& res) {
    Write(handler(ToRequest(req)), res);
  });
}

void HttpServer::Post(const std::string& path,
                      std::function<HttpResponse(const HttpRequest&)> handler) {
  impl_->server.Post(path, [handler](const httplib::Request& req, httplib::Response& res) {
    Write(handler(ToRequest(req)), res);
  });
}

absl::Status HttpServer::Start(const std::string& host, int port) {
  int bound = port == 0 ? impl_->server.bind_to_any_port(host.c_str())
                        : (impl_->server.bind_to_port(host.c_str(), port) ? port : -1);
  if (bound < 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind HTTP to ", host, ":", port));
  }
  impl_->port = bound;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // stop() is a no-op until the listen loop runs; wait for it so Stop() can never be lost.
  while (!impl_->server.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

}  // namespace guts
