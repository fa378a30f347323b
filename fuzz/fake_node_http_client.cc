#include "fuzz/fake_node_http_client.h"

#include <deque>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "agent/node_http_client.h"

namespace guts::fuzz {
namespace {

std::deque<std::string>& Queue() {
  static auto* queue = new std::deque<std::string>();
  return *queue;
}

}  // namespace

void QueueNodeReplies(std::vector<std::string> bodies) {
  Queue().assign(std::make_move_iterator(bodies.begin()), std::make_move_iterator(bodies.end()));
}

std::vector<std::string> SplitPieces(const char* data, size_t size) {
  constexpr std::string_view kSeparator = "\n#--\n";
  std::string_view rest(data, size);
  std::vector<std::string> pieces;
  while (true) {
    size_t at = rest.find(kSeparator);
    pieces.emplace_back(rest.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    rest.remove_prefix(at + kSeparator.size());
  }
}

}  // namespace guts::fuzz

namespace guts::agent {

// The real client's connection is never opened here.
struct NodeHttpClient::Connection {};

NodeHttpClient::NodeHttpClient() = default;
NodeHttpClient::~NodeHttpClient() = default;

absl::StatusOr<HttpReply> NodeHttpClient::Get(const std::string& url, absl::Duration) {
  auto& queue = fuzz::Queue();
  if (queue.empty()) return absl::UnavailableError(absl::StrCat("GET ", url, ": no reply queued"));
  HttpReply reply{
      .status = 200, .body = std::move(queue.front()), .latency = absl::Milliseconds(1)};
  queue.pop_front();
  return reply;
}

}  // namespace guts::agent
