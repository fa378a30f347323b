// Terminal text primitives shared by the table renderers: colour, display width, aligned
// tables, durations, byte counts and sparklines.
//
// Every function here is pure and thread-safe. Colour is decided once by the caller (a
// terminal, no --no-color, no NO_COLOR) and passed in as a Style, so that the renderers stay
// golden-testable with and without colour.
//
// Example:
//   TextTable table({"NODE", "STATE"});
//   table.AddRow({"v1", Paint("healthy", Tone::kGood, style)});
//   std::string text = table.Render();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace guts::ctl {

struct Style {
  bool color = false;
};

// What a piece of text means to the operator; each tone is one ANSI colour.
enum class Tone { kPlain, kGood, kWarn, kBad, kCritical, kDim, kBold, kInfo };

// `text` wrapped in the tone's ANSI colour when style.color, else `text` unchanged.
std::string Paint(absl::string_view text, Tone tone, const Style& style);

// Columns `text` takes on a terminal: code points, not counting ANSI escape sequences.
size_t DisplayWidth(absl::string_view text);

// A table aligned on display width (cells may be painted). Columns are separated by two
// spaces; the header is bold when `style.color`. Trailing spaces are trimmed.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  // Right-align this column (numbers).
  void AlignRight(size_t column);
  // REQUIRES: cells.size() == header size.
  void AddRow(std::vector<std::string> cells);
  std::string Render(const Style& style) const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "850ms", "12s", "2m05s", "3h04m", "2d03h"; negative durations render as "-".
std::string FormatAge(absl::Duration age);
// Same as FormatAge for a wire age in milliseconds.
std::string FormatAgeMs(int64_t age_ms);
// "512 B", "4.0 KiB", "412 MiB", "1.5 GiB".
std::string FormatBytes(uint64_t bytes);
// "2026-11-30 02:57:41 UTC".
std::string FormatUtc(absl::Time time);
// Same for a wire instant in ms since the epoch; "-" for 0.
std::string FormatUtcMs(int64_t unix_ms);
// A ratio in [0, 1] as a whole percentage: "93%".
std::string FormatPercent(double ratio);

// `values` drawn as one line of at most `width` block characters (▁..█), scaled between
// their minimum and maximum; with more values than width, each character shows the last
// value of its bucket. A flat series draws at the lowest level. Empty input gives "".
std::string Sparkline(const std::vector<double>& values, size_t width);

}  // namespace guts::ctl
