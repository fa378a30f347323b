// MaintenanceService: gutsctl maintenance declare|list|end over gRPC, on the collector's port.
// The role gate (collector/auth) lets operators declare and end, viewers list; the audit log
// records every declaration and end with who asked.
//
// Example:
//   MaintenanceServiceImpl maintenance_service(desk.get());
//   builder.RegisterService(&maintenance_service);
//
// Thread-safe. The desk must outlive the service.
#pragma once

#include "collector/maintenance/maintenance_desk.h"
#include "guts/diag/v1/maintenance.grpc.pb.h"

namespace guts::collector {

class MaintenanceServiceImpl final : public guts::diag::v1::MaintenanceService::CallbackService {
 public:
  explicit MaintenanceServiceImpl(MaintenanceDesk* desk) : desk_(desk) {}

  grpc::ServerUnaryReactor* DeclareMaintenance(
      grpc::CallbackServerContext* context,
      const guts::diag::v1::DeclareMaintenanceRequest* request,
      guts::diag::v1::MaintenanceWindow* response) override;
  grpc::ServerUnaryReactor* ListMaintenance(grpc::CallbackServerContext* context,
                                            const guts::diag::v1::ListMaintenanceRequest* request,
                                            guts::diag::v1::MaintenanceList* response) override;
  grpc::ServerUnaryReactor* EndMaintenance(grpc::CallbackServerContext* context,
                                           const guts::diag::v1::EndMaintenanceRequest* request,
                                           guts::diag::v1::MaintenanceWindow* response) override;

 private:
  MaintenanceDesk* const desk_;
};

}  // namespace guts::collector
