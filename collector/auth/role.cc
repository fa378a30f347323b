#include "collector/auth/role.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace guts::collector {
namespace {

constexpr absl::string_view kAgentService = "/guts.diag.v1.AgentService/";
constexpr absl::string_view kFleetService = "/guts.diag.v1.FleetService/";
constexpr absl::string_view kMaintenanceService = "/guts.diag.v1.MaintenanceService/";

// Roles allowed to call `method`; empty for a method no role may call.
std::vector<Role> AllowedRoles(absl::string_view method) {
  if (absl::StartsWith(method, "/grpc.health.v1.Health/")) {
    return {Role::kAgent, Role::kViewer, Role::kOperator};
  }
  if (absl::StartsWith(method, "/grpc.reflection.")) return {Role::kViewer, Role::kOperator};
  if (absl::StartsWith(method, kAgentService)) return {Role::kAgent};
  if (absl::ConsumePrefix(&method, kMaintenanceService)) {
    if (method == "ListMaintenance") return {Role::kViewer, Role::kOperator};
    if (method == "DeclareMaintenance" || method == "EndMaintenance") return {Role::kOperator};
    return {};
  }
  if (absl::ConsumePrefix(&method, kFleetService)) {
    for (absl::string_view read : {"GetFleetStatus", "GetNode", "GetNodeHistory", "GetTopology",
                                   "ListIncidents", "GetIncident"}) {
      if (method == read) return {Role::kViewer, Role::kOperator};
    }
    for (absl::string_view bundle : {"CollectBundle", "ListBundles", "DownloadBundle"}) {
      if (method == bundle) return {Role::kOperator};
    }
  }
  return {};
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAgent:
      return "agent";
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
  }
  return "unknown";
}

std::optional<Role> RoleFromName(absl::string_view text) {
  for (Role role : {Role::kAgent, Role::kViewer, Role::kOperator}) {
    if (text == RoleName(role)) return role;
  }
  return std::nullopt;
}

std::optional<Role> RoleFromSubject(absl::string_view subject) {
  // Split into type=value attributes at unescaped ',' and '+' (multi-valued RDNs); a
  // backslash escapes the next character.
  std::vector<std::string> ous;
  std::string attribute;
  auto finish = [&] {
    if (absl::StartsWith(attribute, "OU=")) ous.push_back(attribute.substr(3));
    attribute.clear();
  };
  for (size_t i = 0; i < subject.size(); ++i) {
    char c = subject[i];
    if (c == '\\' && i + 1 < subject.size()) {
      // Keep the escape so that an escaped value can never read as a plain role name.
      attribute += c;
      attribute += subject[++i];
    } else if (c == ',' || c == '+') {
      finish();
    } else {
      attribute += c;
    }
  }
  finish();
  if (ous.size() != 1) return std::nullopt;
  return RoleFromName(ous.front());
}

absl::Status CheckRole(Role role, absl::string_view method, absl::string_view credential) {
  std::vector<Role> allowed = AllowedRoles(method);
  for (Role r : allowed) {
    if (r == role) return absl::OkStatus();
  }
  absl::string_view short_name = method.substr(method.rfind('/') + 1);
  if (allowed.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(method, " is not open to any role"));
  }
  std::vector<absl::string_view> names;
  for (Role r : allowed) names.push_back(RoleName(r));
  return absl::PermissionDeniedError(absl::StrCat(short_name, " needs the ",
                                                  absl::StrJoin(names, " or "), " role; your ",
                                                  credential, "'s role is ", RoleName(role)));
}

}  // namespace guts::collector
