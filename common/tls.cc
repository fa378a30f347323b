#include "common/tls.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace guts {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " is required unless --insecure is given"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Pems {
  std::string cert, key, ca;
};

absl::StatusOr<Pems> ReadAll(const TlsOptions& tls) {
  Pems pems;
  absl::StatusOr<std::string> cert = ReadPem("--tls-cert", tls.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("--tls-key", tls.key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem("--tls-ca", tls.ca_file);
  if (!ca.ok()) return ca.status();
  return Pems{*std::move(cert), *std::move(key), *std::move(ca)};
}

// Watches the three files and hands gRPC what is in them now: renewed certificates (cert-manager,
// the CSI driver) are used by every new handshake without a restart. A half-written renewal
// (key and certificate not matching) is ignored until the pair matches again.
std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> Watch(const TlsOptions& tls) {
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.ca_file,
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(tls.reload_interval))));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const TlsOptions& tls) {
  if (tls.insecure) return grpc::InsecureServerCredentials();
  absl::StatusOr<Pems> pems = ReadAll(tls);
  if (!pems.ok()) return pems.status();
  grpc::experimental::TlsServerCredentialsOptions options(Watch(tls));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(tls.client_certificate_optional
                                    ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
                                    : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const TlsOptions& tls) {
  if (tls.insecure) return grpc::InsecureChannelCredentials();
  absl::StatusOr<Pems> pems = ReadAll(tls);
  if (!pems.ok()) return pems.status();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Watch(tls));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(options);
}

std::string PeerCommonName(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  if (names.empty()) return "";
  return std::string(names.front().data(), names.front().size());
}

}  // namespace guts
