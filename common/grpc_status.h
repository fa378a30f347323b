// ToGrpcStatus / FromGrpcStatus: the one conversion between absl::Status and grpc::Status,
// keeping code and message (the two code sets are the same numbers): for every service that
// answers with an absl::Status, and every client that reports a call's outcome as one.
//
// Example:
//   reactor->Finish(ToGrpcStatus(store->Put(key, value)));
//   absl::Status s = FromGrpcStatus(stub->BundleUploadOffset(&ctx, request, &response));
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace guts {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace guts
