// Diagnostic bundle tables: the list, and one bundle's outcome.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ctl/render/table.h"

namespace guts::ctl {
namespace {

std::string BundleStateLabel(v1::BundleState state, const Style& style) {
  switch (state) {
    case v1::BUNDLE_PENDING:
      return Paint("pending", Tone::kWarn, style);
    case v1::BUNDLE_RUNNING:
      return Paint("running", Tone::kInfo, style);
    case v1::BUNDLE_UPLOADING:
      return Paint("uploading", Tone::kInfo, style);
    case v1::BUNDLE_COMPLETE:
      return Paint("complete", Tone::kGood, style);
    case v1::BUNDLE_FAILED:
      return Paint("failed", Tone::kBad, style);
    case v1::BUNDLE_EXPIRED:
      return Paint("expired", Tone::kBad, style);
    default:
      return "-";
  }
}

std::string SourcesCell(const v1::BundleSummary& summary) {
  return absl::StrCat(summary.sources_ok(), " ok, ", summary.sources_failed(), " failed, ",
                      summary.sources_timed_out(), " timed out");
}

}  // namespace

std::string RenderBundleListTable(const v1::BundleList& list, const Style& style) {
  if (list.bundles().empty()) return "No bundles.\n";
  TextTable table({"ID", "NODE", "STATE", "REQUESTED", "SIZE", "SOURCES", "BY"});
  table.AlignRight(4);
  for (const v1::BundleInfo& info : list.bundles()) {
    bool done = info.state() == v1::BUNDLE_COMPLETE;
    table.AddRow({info.id(), info.node_id(), BundleStateLabel(info.state(), style),
                  FormatUtcMs(info.requested_unix_ms()),
                  done ? FormatBytes(info.size_bytes()) : "-",
                  done ? SourcesCell(info.summary()) : info.error(),
                  info.requested_by().empty() ? "-" : info.requested_by()});
  }
  return table.Render(style);
}

std::string RenderBundleOutcome(const v1::BundleInfo& info, absl::string_view file,
                                const Style& style) {
  std::string out = absl::StrCat(Paint(info.node_id(), Tone::kBold, style), "  ",
                                 BundleStateLabel(info.state(), style), "  ", info.id());
  switch (info.state()) {
    case v1::BUNDLE_COMPLETE: {
      const v1::BundleSummary& summary = info.summary();
      absl::StrAppend(&out, "\n  file      ", file.empty() ? "(not downloaded)" : file, " (",
                      FormatBytes(info.size_bytes()), file.empty() ? "" : ", sha256 verified",
                      ")\n  sources   ", SourcesCell(summary));
      if (summary.sources_truncated() > 0) {
        absl::StrAppend(&out, ", ", summary.sources_truncated(), " truncated");
      }
      absl::StrAppend(&out, "\n  redacted  ", summary.redactions(), " values\n");
      for (const v1::SourceOutcome& source : summary.sources()) {
        if (source.status() == "ok") continue;
        absl::StrAppend(&out, "  ", Paint(source.status(), Tone::kWarn, style), " ", source.name(),
                        source.error().empty() ? "" : ": ", source.error(), "\n");
      }
      return out;
    }
    case v1::BUNDLE_PENDING:
      return absl::StrCat(out, "\n  the node is offline; the request is queued until it reconnects",
                          info.expires_unix_ms() != 0
                              ? absl::StrCat(" (expires ", FormatUtcMs(info.expires_unix_ms()), ")")
                              : "",
                          "\n  fetch it later: gutsctl diag get ", info.id(), "\n");
    default:
      return absl::StrCat(out, info.error().empty() ? "" : absl::StrCat("\n  ", info.error()),
                          "\n");
  }
}

}  // namespace guts::ctl
