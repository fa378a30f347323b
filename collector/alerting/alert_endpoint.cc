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
#include "absl/strings/str_replace.h"

namespace guts::collector {
namespace {

// A push's answer is read for its first bytes only (an error message); the rest is dropped.
constexpr size_t kMaxAnswerBytes = 4096;

struct Answer {
  std::string* text;
  size_t max;
  bool truncated = false;
};

size_t KeepHead(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<Answer*>(user);
  size_t n = size * count;
  size_t room = answer->max - std::min(answer->max, answer->text->size());
  answer->text->append(data, std::min(n, room));
  answer->truncated |= n > room;
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

namespace {

// One request to `url` with the endpoint's TLS and credentials: a POST of `body` when it is set,
// else a GET. Keeps the answer's first `max_answer` bytes in `answer`; `*truncated` says there
// were more.
absl::Status Perform(const AlertEndpoint& endpoint, const std::string& url, const std::string* body,
                     size_t max_answer, std::string* answer, bool* truncated) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
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
  Answer sink{.text = answer, .max = max_answer};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &KeepHead);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
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
  if (truncated != nullptr) *truncated = sink.truncated;
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(url, ": ", curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300) return absl::OkStatus();
  std::string what = absl::StrCat(url, " answered ", code, ": ", answer->substr(0, 200));
  if (code >= 500 || code == 429) return absl::UnavailableError(what);
  return absl::InvalidArgumentError(what);
}

}  // namespace

absl::Status PostAlerts(const AlertEndpoint& endpoint, const std::string& json_body) {
  std::string answer;
  return Perform(endpoint, PushUrl(endpoint), &json_body, kMaxAnswerBytes, &answer, nullptr);
}

absl::StatusOr<nlohmann::json> HeldAlerts(const AlertEndpoint& endpoint,
                                          const std::string& network) {
  if (endpoint.kind != AlertEndpoint::kAlertmanager) {
    return absl::FailedPreconditionError("a webhook holds no alerts");
  }
  std::string matcher = absl::StrCat(
      "network=\"", absl::StrReplaceAll(network, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(nullptr, matcher.data(), static_cast<int>(matcher.size())), &curl_free);
  if (!escaped) return absl::InternalError("curl_easy_escape failed");
  std::string url = absl::StrCat(PushUrl(endpoint), "?filter=", escaped.get());
  std::string answer;
  bool truncated = false;
  absl::Status s = Perform(endpoint, url, nullptr, kMaxHeldAlertsBytes, &answer, &truncated);
  if (!s.ok()) return s;
  if (truncated) {
    return absl::ResourceExhaustedError(
        absl::StrCat(url, " answered more than ", kMaxHeldAlertsBytes, " bytes"));
  }
  nlohmann::json held = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!held.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(url, " answered no JSON array of alerts"));
  }
  return held;
}

}  // namespace guts::collector
