// Turns the node's log lines into LogFacts: the highest finalized height and when its line was
// written, error and warning counts by kind, starts and stops, the config-fallback warning,
// corruption and byzantine hints, and the Simplex lines: `processed finalized block` {height,
// digest}, `proposed new block` {round, digest, success} (the view is read out of the Debug
// text of `round`, e.g. `Round { epoch: 0, view: 12 }`), `Starting Simplex BFT consensus`
// {public_key, p2p_addr}, `P2P network started` {public_key, listen_addr} and `Consensus engine
// task failed` / `Consensus engine stopped unexpectedly` (reset by the next `Starting Guts
// node`). Debug-formatted values are parsed tolerantly (quotes, 0x, `Name(...)` wrappers). Reads
// both of the node's formats: JSON lines (tracing's JSON layer) and the pretty/full text format
// (ANSI colours stripped, continuation lines skipped), plus the plain-stderr "Warning: Failed to
// load config file ... Using defaults". Lines read from a kubelet container log (sidecar mode) lose
// their CRI prefix first, and the parts of a long line (tag P) are joined again.
//
// Example:
//   LogFactsBuilder facts;
//   for (const std::string& line : lines) facts.Observe(line, absl::Now());
//   facts.Fill(absl::Now(), *snapshot.mutable_log());
//
// Thread-compatible.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "guts/diag/v1/snapshot.pb.h"

namespace guts::agent {

class LogFactsBuilder {
 public:
  // `read_at` stands in for the line's time when the line carries no timestamp.
  void Observe(absl::string_view line, absl::Time read_at);
  // Writes the facts so far; ages are measured from `now`.
  void Fill(absl::Time now, ::guts::diag::v1::LogFacts& facts) const;

 private:
  struct Line {
    absl::Time time;
    bool has_time = false;
    std::string level;    // "ERROR", "WARN", "INFO", ... or "" for plain text
    std::string message;  // fields.message, or the text after the target
    std::string text;     // the whole line, for keyword matches
    uint64_t height = 0;
    bool has_height = false;
    std::string block_id;  // block_id (simulation) or digest (Simplex)
    uint64_t round_view = 0;
    bool has_round_view = false;
    bool success = true;
    std::string public_key;
    std::string listen_addr;  // listen_addr, else p2p_addr
    std::string external_addr;
  };
  void ObserveLine(absl::string_view raw, absl::Time read_at);
  bool ParseJson(absl::string_view raw, Line& line) const;
  bool ParseText(absl::string_view raw, Line& line) const;
  void Count(const Line& line);

  std::string partial_;  // CRI parts (tag P) of a line not yet complete
  bool partial_overflow_ = false;
  uint64_t finalized_height_ = 0;
  absl::Time finalized_time_;
  std::string finalized_block_id_;
  std::map<std::string, uint64_t> errors_by_kind_;
  uint64_t error_lines_ = 0, warning_lines_ = 0;
  bool config_fallback_ = false;
  bool fallback_since_start_ = false;
  uint64_t corruption_lines_ = 0, byzantine_lines_ = 0;
  uint32_t starts_seen_ = 0;
  bool stopped_ = false;
  uint64_t lines_read_ = 0, lines_unparsed_ = 0;
  uint64_t proposed_view_ = 0;
  absl::Time proposed_time_;
  uint64_t proposals_succeeded_ = 0, proposals_failed_ = 0;
  bool engine_failed_ = false;
  absl::Time engine_failed_time_;
  std::string public_key_;
  std::string p2p_listen_addr_;
  bool simplex_started_ = false;
  std::deque<std::string> recent_errors_;
};

}  // namespace guts::agent
