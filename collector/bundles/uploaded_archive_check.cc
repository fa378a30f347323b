#include "collector/bundles/uploaded_archive_check.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bundle_format/archive_check.h"
#include "bundle_format/sha256.h"

namespace guts::collector {

absl::Status CheckUploadedArchive(const BundleCatalog& catalog, const std::string& bundle_id,
                                  const std::string& sha256, uint64_t size,
                                  const std::string& temp_dir) {
  const std::string path =
      (std::filesystem::path(temp_dir) /
       absl::StrCat("guts-bundle-check-", ::getpid(), "-", bundle_id, ".tar.gz"))
          .string();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot create ", path));
  bundle::Sha256 hash;
  uint64_t offset = 0;
  absl::Status status;
  while (offset < size) {
    absl::StatusOr<std::string> bytes = catalog.ReadData(bundle_id, offset, kBundleChunkBytes);
    if (!bytes.ok()) {
      status = bytes.status();
      break;
    }
    if (bytes->empty()) break;
    hash.Update(*bytes);
    std::fwrite(bytes->data(), 1, bytes->size(), f);
    offset += bytes->size();
  }
  std::fclose(f);
  if (status.ok() && offset != size) {
    status = absl::DataLossError(absl::StrCat("stored ", offset, " bytes, expected ", size));
  }
  if (status.ok()) {
    const std::string got = hash.FinishHex();
    if (got != absl::AsciiStrToLower(sha256)) {
      status = absl::DataLossError(
          absl::StrCat("SHA-256 mismatch: archive has ", got, ", agent sent ", sha256));
    }
  }
  if (status.ok()) {
    absl::StatusOr<std::vector<std::string>> entries = bundle::CheckArchiveEntries(path);
    if (!entries.ok()) status = absl::InvalidArgumentError(entries.status().message());
  }
  std::filesystem::remove(path);
  return status;
}

}  // namespace guts::collector
