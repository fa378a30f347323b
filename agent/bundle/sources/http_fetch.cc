#include "agent/bundle/sources/http_fetch.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace guts::bundle {
namespace {

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<SourceOutput*>(user);
  // Returning less than given makes curl stop: the cap is reached.
  return out->Write(std::string_view(data, size * count)) ? size * count : 0;
}

}  // namespace

absl::StatusOr<long> HttpFetch(const std::string& url, absl::Duration timeout, SourceOutput& out) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &out);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && out.truncated())) {
    const std::string msg = absl::StrCat("GET ", url, ": ", curl_easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(msg);
    return absl::UnavailableError(msg);
  }
  long code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
  return code;
}

}  // namespace guts::bundle
