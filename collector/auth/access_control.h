// AccessControl: who may call what on the collector's gRPC port, and the audit trail of
// bundles. Installed on the server in two places:
//   - an AuthMetadataProcessor on the TLS server credentials runs before any service method:
//     it finds the caller's role (the verified client certificate's OU, else an
//     `authorization: Bearer <token>` from --tokens-file), checks it against the method
//     (collector/auth/role.h) and refuses with UNAUTHENTICATED (no credential, unknown token)
//     or PERMISSION_DENIED ("DownloadBundle needs the operator role; your certificate's role is
//     viewer"), logging each refusal;
//   - a server interceptor writes every bundle request, listing and download (and each call's
//     outcome) to the AuditLog.
// With --insecure there is no TLS, so no identity: every call is allowed (development only),
// and the audit lines say "who=insecure".
//
// Example:
//   absl::StatusOr<std::unique_ptr<AccessControl>> access =
//       AccessControl::Create({.tokens_file = "/etc/guts/tokens", .audit_log = ""});
//   (*access)->Install(config.tls.insecure, **creds, builder);  // before BuildAndStart
//
// Thread-safe. Must outlive the server it is installed on.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"

namespace guts::collector {

struct AccessOptions {
  std::string tokens_file;  // "" = certificates only
  std::string audit_log;    // "" = stderr
};

// The authenticated caller of a call that passed the gate: e.g. {"operator",
// "certificate CN=operator"}; {"", "insecure"} without TLS.
struct Caller {
  std::string role;
  std::string principal;
};
Caller CallerOf(const grpc::ServerContextBase& context);

class AccessControl {
 public:
  // Loads the tokens file and opens the audit log; their errors (INVALID_ARGUMENT, NOT_FOUND).
  static absl::StatusOr<std::unique_ptr<AccessControl>> Create(const AccessOptions& options);
  ~AccessControl();

  // Puts the gate on `credentials` (unless `insecure`) and the audit interceptor on `builder`.
  void Install(bool insecure, grpc::ServerCredentials& credentials, grpc::ServerBuilder& builder);

  // Whether a --tokens-file was given (so callers without certificates have roles).
  bool TokensEnabled() const;
  // The caller an HTTP `Authorization` header value ("Bearer <token>") names, from the tokens
  // file. UNAUTHENTICATED when the header is empty, not a bearer token, or an unknown token.
  absl::StatusOr<Caller> CallerOfAuthorization(absl::string_view authorization) const;

  struct State;

 private:
  explicit AccessControl(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace guts::collector
