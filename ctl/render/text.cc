#include "ctl/render/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace guts::ctl {
namespace {

absl::string_view AnsiCode(Tone tone) {
  switch (tone) {
    case Tone::kGood:
      return "32";
    case Tone::kWarn:
      return "33";
    case Tone::kBad:
      return "31";
    case Tone::kCritical:
      return "1;31";
    case Tone::kDim:
      return "2";
    case Tone::kBold:
      return "1";
    case Tone::kInfo:
      return "36";
    case Tone::kPlain:
      break;
  }
  return "";
}

std::string Pad(const std::string& cell, size_t width, bool right) {
  size_t shown = DisplayWidth(cell);
  std::string fill(width > shown ? width - shown : 0, ' ');
  return right ? fill + cell : cell + fill;
}

}  // namespace

std::string Paint(absl::string_view text, Tone tone, const Style& style) {
  absl::string_view code = AnsiCode(tone);
  if (!style.color || code.empty() || text.empty()) return std::string(text);
  return absl::StrCat("\x1b[", code, "m", text, "\x1b[0m");
}

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {
      // Skip a CSI sequence: ESC [ parameters final-byte.
      ++i;
      while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes, not UTF-8 continuations
  }
  return width;
}

TextTable::TextTable(std::vector<std::string> header)
    : header_(std::move(header)), right_(header_.size(), false) {}

void TextTable::AlignRight(size_t column) { right_.at(column) = true; }

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render(const Style& style) const {
  std::vector<size_t> widths(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) widths[c] = DisplayWidth(header_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += "  ";
      std::string cell = header ? Paint(cells[c], Tone::kBold, style) : cells[c];
      out += Pad(cell, widths[c], right_[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header_, true);
  for (const auto& row : rows_) out += line(row, false);
  return out;
}

std::string FormatAge(absl::Duration age) {
  if (age < absl::ZeroDuration()) return "-";
  int64_t ms = absl::ToInt64Milliseconds(age);
  if (ms < 1000) return absl::StrCat(ms, "ms");
  int64_t s = ms / 1000;
  if (s < 60) {
    if (s < 10) return absl::StrFormat("%.1fs", ms / 1000.0);
    return absl::StrCat(s, "s");
  }
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

std::string FormatAgeMs(int64_t age_ms) { return FormatAge(absl::Milliseconds(age_ms)); }

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return absl::StrCat(bytes, " B");
  if (value < 10) return absl::StrFormat("%.1f %s", value, kUnits[unit]);
  return absl::StrFormat("%.0f %s", value, kUnits[unit]);
}

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", time, absl::UTCTimeZone());
}

std::string FormatUtcMs(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return FormatUtc(absl::FromUnixMillis(unix_ms));
}

std::string FormatPercent(double ratio) {
  return absl::StrCat(static_cast<int>(std::lround(ratio * 100)), "%");
}

std::string Sparkline(const std::vector<double>& values, size_t width) {
  static constexpr const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (values.empty() || width == 0) return "";
  std::vector<double> shown;
  if (values.size() <= width) {
    shown = values;
  } else {
    for (size_t b = 0; b < width; ++b) {
      size_t last = (b + 1) * values.size() / width - 1;
      shown.push_back(values[last]);
    }
  }
  auto [lo, hi] = std::minmax_element(shown.begin(), shown.end());
  double low = *lo, span = *hi - *lo;
  std::string out;
  for (double v : shown) {
    size_t level = span > 0 ? static_cast<size_t>(std::lround((v - low) / span * 7)) : 0;
    out += kBlocks[std::min<size_t>(level, 7)];
  }
  return out;
}

}  // namespace guts::ctl
