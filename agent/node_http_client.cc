#include "agent/node_http_client.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace guts::agent {
namespace {

constexpr size_t kMaxBody = 8 << 20;

// "http://host:port/a/b?c" -> {"http://host:port", "/a/b?c"}; a URL without a path gets "/".
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

}  // namespace

struct NodeHttpClient::Connection {
  explicit Connection(const std::string& url_base) : base(url_base), client(url_base) {
    client.set_keep_alive(true);
  }
  std::string base;
  httplib::Client client;
};

NodeHttpClient::NodeHttpClient() = default;
NodeHttpClient::~NodeHttpClient() = default;

absl::StatusOr<long> NodeHttpClient::GetTo(const std::string& url, absl::Duration timeout,
                                           const std::function<bool(absl::string_view)>& on_body) {
  timeout = std::max(timeout, absl::Milliseconds(1));
  const absl::Time deadline = absl::Now() + timeout;
  auto [base, path] = SplitUrl(url);
  if (connection_ == nullptr || connection_->base != base) {
    connection_ = std::make_unique<Connection>(base);
  }
  httplib::Client& client = connection_->client;
  if (!client.is_valid()) return absl::InvalidArgumentError(absl::StrCat("GET ", url, ": bad URL"));
  const std::chrono::microseconds budget = absl::ToChronoMicroseconds(timeout);
  client.set_connection_timeout(budget);
  client.set_read_timeout(budget);
  client.set_write_timeout(budget);
  long status = 0;
  bool stopped = false, late = false;
  httplib::Result result = client.Get(
      path,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, size_t length) {
        if (absl::Now() > deadline) {
          late = true;
          return false;
        }
        if (!on_body(absl::string_view(data, length))) stopped = true;
        return !stopped;
      });
  // A transfer cut short leaves the connection half-read: the next request opens a fresh one.
  if (result.error() != httplib::Error::Success) connection_.reset();
  if (result.error() == httplib::Error::Success || (stopped && status != 0)) return status;
  const bool timed_out =
      late || result.error() == httplib::Error::ConnectionTimeout || absl::Now() >= deadline;
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("GET ", url, ": timeout after ", absl::FormatDuration(timeout)));
  }
  return absl::UnavailableError(
      absl::StrCat("GET ", url, ": ", httplib::to_string(result.error())));
}

absl::StatusOr<HttpReply> NodeHttpClient::Get(const std::string& url, absl::Duration timeout) {
  HttpReply reply;
  bool too_big = false;
  absl::Time begin = absl::Now();
  absl::StatusOr<long> status = GetTo(url, timeout, [&](absl::string_view piece) {
    if (reply.body.size() + piece.size() > kMaxBody) {
      too_big = true;
      return false;
    }
    reply.body.append(piece.data(), piece.size());
    return true;
  });
  reply.latency = absl::Now() - begin;
  if (too_big) {
    return absl::UnavailableError(absl::StrCat("GET ", url, ": body over ", kMaxBody, " bytes"));
  }
  if (!status.ok()) return absl::UnavailableError(status.status().message());
  reply.status = *status;
  return reply;
}

}  // namespace guts::agent
