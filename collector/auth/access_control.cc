#include "collector/auth/access_control.h"

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/auth/audit_log.h"
#include "collector/auth/role.h"
#include "collector/auth/token_file.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/support/server_interceptor.h"
#include "guts/diag/v1/fleet.pb.h"
#include "guts/diag/v1/maintenance.pb.h"
#include "spdlog/spdlog.h"

namespace guts::collector {

struct AccessControl::State {
  std::optional<TokenFile> tokens;
  std::unique_ptr<AuditLog> audit;
};

namespace {

namespace v1 = ::guts::diag::v1;
using grpc::experimental::InterceptionHookPoints;

// Set on each call's auth context by the gate, read by CallerOf.
constexpr char kRoleProperty[] = "guts_role";
constexpr char kPrincipalProperty[] = "guts_principal";

constexpr absl::string_view kCollect = "/guts.diag.v1.FleetService/CollectBundle";
constexpr absl::string_view kList = "/guts.diag.v1.FleetService/ListBundles";
constexpr absl::string_view kDownload = "/guts.diag.v1.FleetService/DownloadBundle";

constexpr absl::string_view kDeclareMaintenance =
    "/guts.diag.v1.MaintenanceService/DeclareMaintenance";
constexpr absl::string_view kEndMaintenance = "/guts.diag.v1.MaintenanceService/EndMaintenance";

// Bundle calls and maintenance declarations go to the audit log.
bool IsBundleMethod(absl::string_view method) {
  return method == kCollect || method == kList || method == kDownload ||
         method == kDeclareMaintenance || method == kEndMaintenance;
}

std::string ShortName(absl::string_view method) {
  return std::string(method.substr(method.rfind('/') + 1));
}

// Untrusted text for a log line: escaped, so it can forge neither lines nor fields.
std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, 128)), "\"");
}

std::string Property(const grpc::AuthContext& context, const char* name) {
  std::vector<grpc::string_ref> values = context.FindPropertyValues(name);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

class RoleGate final : public grpc::AuthMetadataProcessor {
 public:
  explicit RoleGate(std::shared_ptr<AccessControl::State> state) : state_(std::move(state)) {}

  // Only in-memory lookups: run inline on gRPC's thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed, OutputMetadata*) override {
    std::string method;
    std::optional<std::string> authorization;
    for (const auto& [key, value] : metadata) {
      if (key == ":path") method.assign(value.data(), value.size());
      if (key == "authorization") authorization.emplace(value.data(), value.size());
    }
    std::optional<Role> role;
    std::string principal, credential;
    std::string subject = Property(*context, "x509_subject");
    if (!subject.empty()) {
      credential = "certificate";
      principal = absl::StrCat("certificate CN=", Property(*context, "x509_common_name"));
      role = RoleFromSubject(subject);
      if (!role) {
        return Refuse(method, principal, grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("your certificate (", subject,
                                   ") has no role: it needs exactly one OU, one of agent, viewer "
                                   "or operator"));
      }
    } else if (authorization) {
      absl::string_view value = *authorization;
      if (!absl::StartsWithIgnoreCase(value, "Bearer ")) {
        return Refuse(method, "anonymous", grpc::StatusCode::UNAUTHENTICATED,
                      "the authorization metadata must be \"Bearer <token>\"");
      }
      const TokenHolder* holder =
          state_->tokens ? state_->tokens->Find(absl::StripAsciiWhitespace(value.substr(7)))
                         : nullptr;
      if (holder == nullptr) {
        return Refuse(method, "anonymous", grpc::StatusCode::UNAUTHENTICATED,
                      state_->tokens ? "unknown bearer token"
                                     : "bearer tokens are not enabled on this collector "
                                       "(--tokens-file); present a client certificate");
      }
      consumed->insert({"authorization", *authorization});
      credential = "token";
      principal = absl::StrCat("token ", holder->name);
      role = holder->role;
    } else {
      return Refuse(method, "anonymous", grpc::StatusCode::UNAUTHENTICATED,
                    "no client certificate and no bearer token: present a certificate signed "
                    "by the collector's CA, or \"authorization: Bearer <token>\"");
    }
    absl::Status allowed = CheckRole(*role, method, credential);
    if (!allowed.ok()) {
      return Refuse(method, absl::StrCat(principal, " role=", RoleName(*role)),
                    grpc::StatusCode::PERMISSION_DENIED, std::string(allowed.message()));
    }
    context->AddProperty(kRoleProperty, std::string(RoleName(*role)));
    context->AddProperty(kPrincipalProperty, principal);
    return grpc::Status::OK;
  }

 private:
  grpc::Status Refuse(absl::string_view method, absl::string_view who, grpc::StatusCode code,
                      const std::string& reason) {
    spdlog::warn("access refused: {} by {}: {}", Quoted(method), std::string(who), reason);
    if (IsBundleMethod(method)) {
      state_->audit->Record(who, ShortName(method), absl::StrCat("refused: ", reason));
    }
    return grpc::Status(code, reason);
  }

  std::shared_ptr<AccessControl::State> state_;
};

// What a bundle call asks for, from its request message.
std::string Describe(absl::string_view method, const void* message) {
  std::string what = ShortName(method);
  if (message == nullptr) return what;
  if (method == kCollect) {
    const auto& r = *static_cast<const v1::CollectBundleRequest*>(message);
    std::vector<std::string> nodes;
    for (const std::string& node : r.node_ids()) nodes.push_back(Quoted(node));
    absl::StrAppend(&what, " nodes=[", absl::StrJoin(nodes, ","), "] all=", r.all(),
                    " since_ms=", r.since_ms());
  } else if (method == kDownload) {
    const auto& r = *static_cast<const v1::DownloadBundleRequest*>(message);
    absl::StrAppend(&what, " bundle=", Quoted(r.bundle_id()), " offset=", r.offset());
  } else if (method == kList) {
    const auto& r = *static_cast<const v1::ListBundlesRequest*>(message);
    absl::StrAppend(&what, " node=", Quoted(r.node_id()));
  } else if (method == kDeclareMaintenance) {
    const auto& r = *static_cast<const v1::DeclareMaintenanceRequest*>(message);
    std::vector<std::string> nodes;
    for (const std::string& node : r.nodes()) nodes.push_back(Quoted(node));
    absl::StrAppend(&what, " nodes=[", absl::StrJoin(nodes, ","), "] start_ms=", r.start_unix_ms(),
                    " duration_ms=", r.duration_ms(), " reason=", Quoted(r.reason()));
  } else if (method == kEndMaintenance) {
    const auto& r = *static_cast<const v1::EndMaintenanceRequest*>(message);
    absl::StrAppend(&what, " window=", Quoted(r.id()));
  }
  return what;
}

class AuditInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuditInterceptor(grpc::experimental::ServerRpcInfo* info, AuditLog* audit)
      : method_(info->method()), context_(info->server_context()), audit_(audit) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      what_ = Describe(method_, methods->GetRecvMessage());
      audit_->Record(Who(), what_, "requested");
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      audit_->Record(Who(), what_.empty() ? ShortName(method_) : what_,
                     status.ok() ? std::string("OK")
                                 : absl::StrCat("error code=", status.error_code(), " ",
                                                Quoted(status.error_message())));
    }
    methods->Proceed();
  }

 private:
  std::string Who() const {
    Caller caller = CallerOf(*context_);
    return absl::StrCat(caller.principal, caller.role.empty() ? "" : " role=", caller.role,
                        " peer=", context_->peer());
  }

  const std::string method_;
  grpc::ServerContextBase* const context_;
  AuditLog* const audit_;
  std::string what_;
};

class AuditInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AuditInterceptorFactory(std::shared_ptr<AccessControl::State> state)
      : state_(std::move(state)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (!IsBundleMethod(info->method())) return nullptr;
    return new AuditInterceptor(info, state_->audit.get());
  }

 private:
  std::shared_ptr<AccessControl::State> state_;
};

}  // namespace

Caller CallerOf(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return Caller{.principal = "insecure"};
  Caller caller{.role = Property(*auth, kRoleProperty),
                .principal = Property(*auth, kPrincipalProperty)};
  if (caller.principal.empty()) caller.principal = "insecure";
  return caller;
}

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(const AccessOptions& options) {
  auto state = std::make_shared<State>();
  if (!options.tokens_file.empty()) {
    absl::StatusOr<TokenFile> tokens = TokenFile::Load(options.tokens_file);
    if (!tokens.ok()) return tokens.status();
    state->tokens = *std::move(tokens);
  }
  absl::StatusOr<std::unique_ptr<AuditLog>> audit = AuditLog::Open(options.audit_log);
  if (!audit.ok()) return audit.status();
  state->audit = *std::move(audit);
  return std::unique_ptr<AccessControl>(new AccessControl(std::move(state)));
}

AccessControl::AccessControl(std::shared_ptr<State> state) : state_(std::move(state)) {}

bool AccessControl::TokensEnabled() const { return state_->tokens.has_value(); }

absl::StatusOr<Caller> AccessControl::CallerOfAuthorization(absl::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("no \"Authorization: Bearer <token>\" header");
  }
  if (!absl::StartsWithIgnoreCase(authorization, "Bearer ")) {
    return absl::UnauthenticatedError("the Authorization header must be \"Bearer <token>\"");
  }
  const TokenHolder* holder =
      state_->tokens ? state_->tokens->Find(absl::StripAsciiWhitespace(authorization.substr(7)))
                     : nullptr;
  if (holder == nullptr) return absl::UnauthenticatedError("unknown bearer token");
  return Caller{.role = std::string(RoleName(holder->role)),
                .principal = absl::StrCat("token ", holder->name)};
}
AccessControl::~AccessControl() = default;

void AccessControl::Install(bool insecure, grpc::ServerCredentials& credentials,
                            grpc::ServerBuilder& builder) {
  if (!insecure) credentials.SetAuthMetadataProcessor(std::make_shared<RoleGate>(state_));
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<AuditInterceptorFactory>(state_));
  builder.experimental().SetInterceptorCreators(std::move(creators));
}

}  // namespace guts::collector
