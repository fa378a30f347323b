#include "collector/alerting/alert_endpoint.h"

#include <curl/curl.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace guts::collector {
namespace {

// The answer is read for its first bytes only (an error message); the rest is dropped.
constexpr size_t kMaxAnswerBytes = 4096;

size_t KeepHead(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<std::string*>(user);
  size_t n = size * count;
  if (answer->size() < kMaxAnswerBytes)
    answer->append(data, std::min(n, kMaxAnswerBytes - answer->size()));
  return n;
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

}  // namespace

std::string PushUrl(const AlertEndpoint& endpoint) {
  if (endpoint.kind == AlertEndpoint::kWebhook) return endpoint.url;
  std::string base = endpoint.url;
  while (absl::EndsWith(base, "/")) base.pop_back();
  return absl::StrCat(base, "/api/v2/alerts");
}

absl::Status PostAlerts(const AlertEndpoint& endpoint, const std::string& json_body) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  std::string url = PushUrl(endpoint);
  std::string answer;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!endpoint.bearer_token_file.empty()) {
    absl::StatusOr<std::string> token = ReadSecret(endpoint.bearer_token_file);
    if (!token.ok()) {
      curl_slist_free_all(headers);
      return token.status();
    }
    headers = curl_slist_append(headers, absl::StrCat("Authorization: Bearer ", *token).c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          &curl_slist_free_all);
  std::string password;
  if (!endpoint.basic_auth_user.empty()) {
    absl::StatusOr<std::string> secret = ReadSecret(endpoint.basic_auth_password_file);
    if (!secret.ok()) return secret.status();
    password = *secret;
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, endpoint.basic_auth_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &KeepHead);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(endpoint.timeout)));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(endpoint.timeout)));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  if (!endpoint.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, endpoint.ca_file.c_str());
  if (!endpoint.cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, endpoint.cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, endpoint.key_file.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(url, ": ", curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300) return absl::OkStatus();
  std::string what = absl::StrCat(url, " answered ", code, ": ", answer.substr(0, 200));
  if (code >= 500 || code == 429) return absl::UnavailableError(what);
  return absl::InvalidArgumentError(what);
}

}  // namespace guts::collector
