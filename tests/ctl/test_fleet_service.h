// TestFleetService: a real gRPC server in the test process that implements FleetService with the
// fixed data of a FleetFixture. It is a test server (the real wire, the real generated stubs),
// not a mock of a library; gutsctl talks to it exactly as to guts-collector.
//
// Listens on 127.0.0.1 with an ephemeral port (parallel tests never collide). Thread-safe:
// gRPC serves calls on its own threads; the fixture is read-only after construction.
//
// Example:
//   TestFleetService collector(FourThreeSplitOfSeven());
//   RunGutsctl({"--insecure", "--collector", collector.address(), "fleet", "status"});
#pragma once

#include <memory>
#include <string>

#include "grpcpp/server.h"
#include "guts/diag/v1/fleet.grpc.pb.h"
#include "tests/ctl/fleet_fixtures.h"

namespace guts::ctl::testing {

class TestFleetService {
 public:
  explicit TestFleetService(FleetFixture fixture);
  ~TestFleetService();

  // "127.0.0.1:PORT".
  const std::string& address() const { return address_; }

 private:
  class Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace guts::ctl::testing
