// GrpcPortGuard keeps the collector's gRPC port accepting, whatever clients do to it.
//
// Every interval it (1) connects to the port itself and checks in the kernel's socket table
// that the server accepted that connection: gRPC 1.51 stops its accept loop for good after one
// accept4() failure such as EMFILE, so a probe not accepted within `accept_deadline` means
// the listener is gone and `restart_listener` builds a new server on the same port (again
// only after 5 s, 10 s, ... up to 5 min while restarts do not help); and
// (2) counts the port's connections per peer address and in total, and shuts down the newest
// beyond the limits (gRPC then closes them), so a flood of connections cannot use up the
// process's file descriptors.
//
// Example:
//   GrpcPortGuard guard({.host = "127.0.0.1", .port = 7400}, [&] { return RebuildServer(); });
//   guard.Start();
//   if (!guard.Accepting()) ...    // /readyz says 503
//   guard.Stop();
//
// Thread-safe: Accepting() and NotAcceptingSince() may be called from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace guts::collector {

struct GrpcPortGuardOptions {
  std::string host;  // the bound host (IPv6 without brackets); a wildcard is probed on loopback
  int port = 0;
  size_t max_connections = 8192;
  size_t max_connections_per_peer = 4096;
  absl::Duration interval = absl::Seconds(1);
  absl::Duration accept_deadline = absl::Seconds(3);
};

// What one look at the kernel's socket table found for the port.
struct PortConnections {
  size_t total = 0;
  size_t shut_down = 0;  // beyond the limits, shut down now
};

class GrpcPortGuard {
 public:
  // `restart_listener` replaces the gRPC server by a new one on the same port; it runs on the
  // guard's thread.
  GrpcPortGuard(GrpcPortGuardOptions options, std::function<absl::Status()> restart_listener);
  ~GrpcPortGuard();  // Stops.
  GrpcPortGuard(const GrpcPortGuard&) = delete;
  GrpcPortGuard& operator=(const GrpcPortGuard&) = delete;

  void Start();
  void Stop();  // Idempotent; joins the thread.

  // False while the last probe was not accepted (or could not even be made: no descriptors).
  bool Accepting() const;
  // Since when the port has not been accepting (InfiniteFuture while it is).
  absl::Time NotAcceptingSince() const;
  // Listener restarts so far.
  size_t Restarts() const;

 private:
  void Run();
  // One probe: true when the server accepted our connection within the deadline.
  bool Probe();
  // Applies the connection limits.
  PortConnections Enforce();

  const GrpcPortGuardOptions options_;
  const std::function<absl::Status()> restart_listener_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time not_accepting_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  size_t restarts_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace guts::collector
