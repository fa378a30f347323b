#include "ctl/bundle_file.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bundle_format/archive_check.h"
#include "bundle_format/sha256.h"
#include "common/node_id.h"

namespace guts::ctl {
namespace {

std::string TargetPath(const std::string& path, const v1::BundleInfo& info) {
  if (path.empty()) return DefaultBundleFileName(info);
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return (std::filesystem::path(path) / DefaultBundleFileName(info)).string();
  }
  return path;
}

}  // namespace

std::string DefaultBundleFileName(const v1::BundleInfo& info) {
  absl::Time when =
      info.requested_unix_ms() != 0 ? absl::FromUnixMillis(info.requested_unix_ms()) : absl::Now();
  // The node id comes from the collector: one that breaks the grammar (a '/', "..") could
  // place the file outside the directory the operator gave, so it is not used.
  return absl::StrCat(guts::ValidNodeId(info.node_id()) ? info.node_id() : "bundle", "-",
                      absl::FormatTime("%Y%m%dT%H%M%SZ", when, absl::UTCTimeZone()), ".tar.gz");
}

absl::StatusOr<DownloadedBundle> DownloadBundleFile(FleetClient& client, const std::string& id,
                                                    const std::string& path,
                                                    absl::Duration deadline) {
  DownloadedBundle result;
  std::string part;
  std::ofstream out;
  bundle::Sha256 sha;
  uint64_t written = 0;
  v1::DownloadBundleRequest request;
  request.set_bundle_id(id);
  absl::Status status =
      client.DownloadBundle(request, deadline, [&](const v1::BundleData& chunk) -> absl::Status {
        if (!out.is_open()) {
          result.info = chunk.info();
          if (result.info.id().empty()) result.info.set_id(id);
          result.path = TargetPath(path, result.info);
          part = result.path + ".part";
          out.open(part, std::ios::binary | std::ios::trunc);
          if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", part));
        }
        if (chunk.offset() != written) {
          return absl::DataLossError(absl::StrCat("bundle ", id, ": chunk at offset ",
                                                  chunk.offset(), ", expected ", written));
        }
        out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
        if (!out) return absl::ResourceExhaustedError(absl::StrCat("cannot write ", part));
        sha.Update(std::string_view(chunk.data().data(), chunk.data().size()));
        written += chunk.data().size();
        return absl::OkStatus();
      });
  if (out.is_open()) out.close();
  auto discard = [&] {
    std::error_code ignored;
    if (!part.empty()) std::filesystem::remove(part, ignored);
  };
  if (!status.ok()) {
    discard();
    return status;
  }
  if (part.empty()) {
    return absl::DataLossError(absl::StrCat("bundle ", id, ": the collector sent no data"));
  }
  std::string digest = sha.FinishHex();
  if (result.info.size_bytes() != 0 && result.info.size_bytes() != written) {
    discard();
    return absl::DataLossError(absl::StrCat("bundle ", id, ": got ", written,
                                            " bytes, the collector announced ",
                                            result.info.size_bytes()));
  }
  if (!result.info.sha256().empty() && result.info.sha256() != digest) {
    discard();
    return absl::DataLossError(absl::StrCat("bundle ", id, ": sha256 mismatch (got ", digest,
                                            ", the collector announced ", result.info.sha256(),
                                            "); the partial file was removed, try again"));
  }
  if (result.info.sha256().empty()) {
    discard();
    return absl::DataLossError(
        absl::StrCat("bundle ", id, ": the collector announced no sha256, cannot verify it"));
  }
  // The collector checked the entries on upload; checking again here means a file named like a
  // bundle is always safe to extract, even from a collector that was compromised or is older.
  absl::StatusOr<std::vector<std::string>> entries = bundle::CheckArchiveEntries(part);
  if (!entries.ok()) {
    discard();
    return absl::DataLossError(
        absl::StrCat("bundle ", id, ": unsafe archive, not kept: ", entries.status().message()));
  }
  std::error_code error;
  std::filesystem::rename(part, result.path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot rename ", part, ": ", error.message()));
  }
  return result;
}

}  // namespace guts::ctl
