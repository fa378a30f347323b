// Incremental SHA-256 (OpenSSL EVP) with a lowercase hex result.
//
// Thread-compatible. Example:
//   Sha256 h; h.Update("abc"); std::string hex = h.FinishHex();
#ifndef GUTS_BUNDLE_FORMAT_SHA256_H_
#define GUTS_BUNDLE_FORMAT_SHA256_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace guts::bundle {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest of everything passed to Update. Call once.
  std::string FinishHex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// SHA-256 of the whole file at `path`, read in bounded blocks. NOT_FOUND / INTERNAL on error.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace guts::bundle

#endif  // GUTS_BUNDLE_FORMAT_SHA256_H_
