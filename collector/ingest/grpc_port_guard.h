// GrpcPortGuard keeps the collector's gRPC port accepting, whatever clients do to it.
//
// Every interval it (1) connects to the port itself and checks in the kernel's socket table
// that the server accepted that connection. gRPC 1.51 stops its accept loop for good after one
// accept4() failure such as EMFILE, so when two probes in a row are not accepted within
// `accept_deadline` and the process ran out of descriptors since the port last accepted (the
// guard's own probe or lookup found none), the listener is gone and `restart_listener` builds
// a new server on the same port (again only after 5 s, 10 s, ... up to 5 min while restarts
// do not help). Without that evidence a port that does not accept is a server too busy or
// stalled to accept (its threads waiting on a starved one: S24), which a restart would not
// cure but would cut every agent's stream; it is restarted only once that has lasted
// `restart_unexplained_after`. And
// (2) counts the port's connections per peer address and in total, and shuts down the newest
// beyond the limits (gRPC then closes them), so a flood of connections cannot use up the
// process's file descriptors. Each connection holds a descriptor of the process, so while the
// process holds no more descriptors than the smaller limit (and is far from its open-file
// limit) the port is not listed at all.
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
  // A port that stops accepting without a descriptor shortage is restarted after this long.
  absl::Duration restart_unexplained_after = absl::Seconds(60);
};

// What one look at the kernel's socket table found for the port.
struct PortConnections {
  size_t total = 0;      // 0 when not listed (see Enforce)
  size_t shut_down = 0;  // beyond the limits, shut down now
  // The process's descriptors were at (or within a few of) its open-file limit, or the look
  // itself found none for its netlink socket.
  bool descriptors_short = false;
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
  // Listings of the port's connections so far: none while the process holds fewer
  // descriptors than the connection limits (and is far from its open-file limit).
  size_t Listings() const;

 private:
  void Run();
  enum class ProbeResult { kAccepted, kNotAccepted, kNoDescriptor };
  // One probe: whether the server accepted our connection within the deadline, or whether the
  // guard could not even get a descriptor for the probe or its lookup.
  ProbeResult Probe();
  // Applies the connection limits.
  PortConnections Enforce();

  const GrpcPortGuardOptions options_;
  const std::function<absl::Status()> restart_listener_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time not_accepting_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  size_t restarts_ ABSL_GUARDED_BY(mu_) = 0;
  size_t listings_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace guts::collector
