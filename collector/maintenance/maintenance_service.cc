#include "collector/maintenance/maintenance_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "collector/auth/access_control.h"
#include "common/grpc_status.h"
#include "spdlog/spdlog.h"

namespace guts::collector {
namespace {

namespace v1 = ::guts::diag::v1;

grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, const absl::Status& s) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(s));
  return reactor;
}

std::string Who(const grpc::CallbackServerContext& context) {
  Caller caller = CallerOf(context);
  if (caller.role.empty()) return caller.principal;
  return absl::StrCat(caller.principal, " (", caller.role, ")");
}

}  // namespace

grpc::ServerUnaryReactor* MaintenanceServiceImpl::DeclareMaintenance(
    grpc::CallbackServerContext* context, const v1::DeclareMaintenanceRequest* request,
    v1::MaintenanceWindow* response) {
  absl::StatusOr<v1::MaintenanceWindow> w = desk_->Declare(*request, Who(*context), absl::Now());
  if (!w.ok()) return Done(context, w.status());
  spdlog::info("maintenance window {} declared by {}: {} nodes, until {}", w->id(), Who(*context),
               w->nodes_size(), w->end_unix_ms());
  *response = *std::move(w);
  return Done(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* MaintenanceServiceImpl::ListMaintenance(
    grpc::CallbackServerContext* context, const v1::ListMaintenanceRequest* request,
    v1::MaintenanceList* response) {
  *response = desk_->List(request->include_past(), absl::Now());
  return Done(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* MaintenanceServiceImpl::EndMaintenance(
    grpc::CallbackServerContext* context, const v1::EndMaintenanceRequest* request,
    v1::MaintenanceWindow* response) {
  absl::StatusOr<v1::MaintenanceWindow> w = desk_->End(request->id(), Who(*context), absl::Now());
  if (!w.ok()) return Done(context, w.status());
  spdlog::info("maintenance window {} ended by {}", w->id(), Who(*context));
  *response = *std::move(w);
  return Done(context, absl::OkStatus());
}

}  // namespace guts::collector
