#include "agent/node_http_client.h"

#include <curl/curl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace guts::agent {
namespace {

constexpr size_t kMaxBody = 8 << 20;

size_t Append(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * count > kMaxBody) return 0;  // makes curl fail the transfer
  body->append(data, size * count);
  return size * count;
}

// curl_global_init is not thread-safe; run it once before the first handle.
void InitCurlOnce() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

}  // namespace

NodeHttpClient::NodeHttpClient() {
  InitCurlOnce();
  curl_ = curl_easy_init();
}

NodeHttpClient::~NodeHttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

absl::StatusOr<HttpReply> NodeHttpClient::Get(const std::string& url, absl::Duration timeout) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  HttpReply reply;
  char error[CURL_ERROR_SIZE] = {};
  long timeout_ms = std::max<long>(1, absl::ToInt64Milliseconds(timeout));
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // Signals would hit other threads of the agent; the timeout works without them.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // the node is local: never go through a proxy
  absl::Time begin = absl::Now();
  CURLcode code = curl_easy_perform(curl);
  reply.latency = absl::Now() - begin;
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("GET ", url, ": ", error[0] != '\0' ? error : curl_easy_strerror(code)));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace guts::agent
