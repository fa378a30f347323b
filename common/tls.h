// TLS settings shared by every binary, and the gRPC credentials built from them.
//
// mTLS is the default: plain text needs an explicit `--insecure`, and every binary logs a
// warning at start when it runs that way.
//
// Example:
//   TlsOptions tls{.cert_file = "agent.crt", .key_file = "agent.key", .ca_file = "ca.crt"};
//   absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = ClientCredentials(tls);
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"

namespace guts {

struct TlsOptions {
  bool insecure = false;  // plain text: development only
  std::string cert_file;  // PEM certificate of this process
  std::string key_file;   // PEM private key of this process
  std::string ca_file;    // PEM CA that signs the peers' certificates
  // Server only: accept clients without a certificate (they authenticate with a bearer token
  // instead); a certificate that is presented is still verified.
  bool client_certificate_optional = false;
  // The three files are read again this often: renewed certificates are used by new
  // connections without a restart (established ones keep theirs).
  absl::Duration reload_interval = absl::Seconds(10);
};

// Server credentials requiring and verifying a client certificate signed by `ca_file`; the
// files are watched (see reload_interval).
// Returns INVALID_ARGUMENT when a file is missing or unreadable (naming the file), or when
// neither `insecure` nor all three files are given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const TlsOptions& tls);

// Channel credentials presenting our certificate and verifying the server against `ca_file`.
// Same errors as ServerCredentials.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const TlsOptions& tls);

// The verified client certificate's common name, or "" on an insecure or anonymous call.
std::string PeerCommonName(const grpc::ServerContextBase& context);

}  // namespace guts
