// Fuzzes the node_log source's line parser (JSON lines, pretty/full text with ANSI colours,
// plain stderr): every input line goes through LogFactsBuilder, then the facts are written.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "agent/log_facts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Time read_at = absl::FromUnixSeconds(1796000000);
  guts::agent::LogFactsBuilder facts;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    facts.Observe(absl::string_view(rest.data(), std::min(end, rest.size())), read_at);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  guts::diag::v1::LogFacts out;
  facts.Fill(read_at + absl::Seconds(5), out);
  (void)out.ByteSizeLong();
  return 0;
}
