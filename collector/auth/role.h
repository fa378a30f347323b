// Who may do what on the collector: the three roles and the methods each may call.
//
//   agent    AgentService only (Connect, UploadBundle, BundleUploadOffset)
//   viewer   FleetService reads: fleet status, node, history, topology, incidents
//   operator the viewer's reads, plus CollectBundle, ListBundles, DownloadBundle
// Every role may call gRPC health checking; viewer and operator may use server reflection.
//
// Example:
//   absl::Status s = CheckRole(Role::kViewer, "/guts.diag.v1.FleetService/CollectBundle",
//                              "certificate");
//   // PERMISSION_DENIED "CollectBundle needs the operator role; your certificate's role is
//   // viewer"
//
// Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace guts::collector {

enum class Role { kAgent, kViewer, kOperator };

// "agent", "viewer", "operator".
absl::string_view RoleName(Role role);
// The role named `text` exactly, or nullopt.
std::optional<Role> RoleFromName(absl::string_view text);

// The role in an X.509 subject as gRPC renders it (RFC 2253, e.g. "CN=v1,OU=agent,O=guts-diag
// dev"): the value of its single OU attribute. Escaped separators ("CN=a\,OU=operator") are
// part of a value, never a new attribute. nullopt when there is no OU, more than one, or an OU
// that names no role.
std::optional<Role> RoleFromSubject(absl::string_view subject);

// OK when `role` may call the full gRPC method name `method` ("/package.Service/Method");
// PERMISSION_DENIED otherwise, naming the role needed and the caller's role, and saying where
// the caller's role came from (`credential`: "certificate" or "token").
absl::Status CheckRole(Role role, absl::string_view method, absl::string_view credential);

}  // namespace guts::collector
