// ToGrpcStatus: the gRPC status for an absl::Status, with the same code and message (the two
// code sets are the same numbers), for every service that answers with an absl::Status.
//
// Example:
//   reactor->Finish(ToGrpcStatus(store->Put(key, value)));
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace guts {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace guts
