#include "sim/http_listener.h"

#include <strings.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace guts::sim {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 1024 * 1024;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace

class HttpListener::Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(asio::ip::tcp::socket socket) : socket(std::move(socket)) {}
  asio::ip::tcp::socket socket;
  std::string buffer;
  std::array<char, 4096> chunk;
  std::string out;
};

HttpListener::HttpListener(asio::io_context& io, Handler handler, ConnectionObserver observer)
    : io_(io), handler_(std::move(handler)), observer_(std::move(observer)) {}

HttpListener::~HttpListener() {
  Close();
  *alive_ = false;
}

absl::Status HttpListener::Listen(const std::string& host, int port) {
  try {
    asio::ip::tcp::endpoint ep(asio::ip::make_address(host), static_cast<uint16_t>(port));
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(512);
    port_ = acceptor->local_endpoint().port();
    acceptor_ = std::move(acceptor);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind HTTP to ", host, ":", port, ": ", e.what()));
  }
  Accept();
  return absl::OkStatus();
}

void HttpListener::Accept() {
  if (!acceptor_) return;
  acceptor_->async_accept([this, alive = alive_](std::error_code ec, asio::ip::tcp::socket s) {
    if (!*alive || !acceptor_) return;
    if (ec) return RetryAcceptLater();
    auto conn = std::make_shared<Connection>(std::move(s));
    connections_.remove_if([](const auto& weak) { return weak.expired(); });
    connections_.push_back(conn);
    if (observer_) observer_(+1);
    if (frozen_) {
      parked_.push_back([this, conn] { Serve(conn); });
    } else {
      Serve(conn);
    }
    Accept();
  });
}

void HttpListener::RetryAcceptLater() {
  // Out of file descriptors (EMFILE) or similar: retrying at once would spin the loop.
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
  timer->async_wait([this, timer, alive = alive_](std::error_code) {
    if (*alive) Accept();
  });
}

void HttpListener::Serve(std::shared_ptr<Connection> conn) {
  auto close = [this, conn] {
    if (!conn->socket.is_open()) return;
    std::error_code ignored;
    conn->socket.close(ignored);
    if (observer_) observer_(-1);
  };
  if (frozen_) {
    parked_.push_back([this, conn] { Serve(conn); });
    return;
  }
  // A complete request in the buffer?
  size_t head_end = conn->buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (conn->buffer.size() > kMaxHeaderBytes) return close();
    conn->socket.async_read_some(asio::buffer(conn->chunk),
                                 [this, conn, close, alive = alive_](std::error_code ec, size_t n) {
                                   if (!*alive) return;
                                   if (ec) return close();
                                   conn->buffer.append(conn->chunk.data(), n);
                                   Serve(conn);
                                 });
    return;
  }
  absl::string_view head(conn->buffer.data(), head_end);
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
  HttpRequest req;
  size_t content_length = 0;
  bool keep_alive = true;
  if (request_line.size() == 3) {
    req.method = std::string(request_line[0]);
    absl::string_view target = request_line[1];
    size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != absl::string_view::npos) req.query = std::string(target.substr(q + 1));
    keep_alive = request_line[2] != "HTTP/1.0";
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (name == "content-length") {
      if (!absl::SimpleAtoi(value, &content_length)) content_length = kMaxBodyBytes + 1;
    } else if (name == "connection") {
      std::string v = absl::AsciiStrToLower(value);
      if (v == "close") keep_alive = false;
      if (v == "keep-alive") keep_alive = true;
    }
  }
  size_t body_start = head_end + 4;
  HttpReply reply;
  if (req.method.empty()) {
    reply = HttpReply{400, "text/plain", "bad request line\n"};
    keep_alive = false;
  } else if (content_length > kMaxBodyBytes) {
    reply = HttpReply{413, "text/plain", "body too large\n"};
    keep_alive = false;
  } else if (conn->buffer.size() < body_start + content_length) {
    conn->socket.async_read_some(asio::buffer(conn->chunk),
                                 [this, conn, close, alive = alive_](std::error_code ec, size_t n) {
                                   if (!*alive) return;
                                   if (ec) return close();
                                   conn->buffer.append(conn->chunk.data(), n);
                                   Serve(conn);
                                 });
    return;
  } else {
    req.body = conn->buffer.substr(body_start, content_length);
    reply = handler_(req);
  }
  conn->buffer.erase(0, std::min(conn->buffer.size(), body_start + content_length));
  conn->out = absl::StrCat("HTTP/1.1 ", reply.status, " ", Reason(reply.status),
                           "\r\nContent-Type: ", reply.content_type,
                           "\r\nContent-Length: ", reply.body.size(),
                           keep_alive ? "" : "\r\nConnection: close", "\r\n\r\n", reply.body);
  asio::async_write(conn->socket, asio::buffer(conn->out),
                    [this, conn, close, keep_alive, alive = alive_](std::error_code ec, size_t) {
                      if (!*alive) return;
                      if (ec || !keep_alive) return close();
                      Serve(conn);
                    });
}

void HttpListener::Freeze() { frozen_ = true; }

void HttpListener::Unfreeze() {
  frozen_ = false;
  std::list<std::function<void()>> work;
  work.swap(parked_);
  for (auto& w : work) w();
}

void HttpListener::Close() {
  if (acceptor_) {
    std::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  parked_.clear();
  for (auto& weak : connections_) {
    if (auto conn = weak.lock(); conn && conn->socket.is_open()) {
      std::error_code ignored;
      conn->socket.close(ignored);
      if (observer_) observer_(-1);
    }
  }
  connections_.clear();
  frozen_ = false;
}

}  // namespace guts::sim
