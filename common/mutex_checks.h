// Abseil's debug-only mutex checks, off in the daemons.
//
// Debian builds Abseil without NDEBUG, so its debug mode is on in every binary that links it:
// each absl::Mutex::Lock records the lock in a process-wide deadlock graph under one global
// lock (measured here: 52 ns per pair of lock/unlock against 12 ns without, and every thread
// serialised on that global lock). The tests keep the detector; the daemons, whose hot paths
// (ingest, the writer, the agent's sources) take mutexes per snapshot, turn it off at start.
//
// Example (first thing in main):
//   guts::SkipMutexDeadlockDetection();
#pragma once

namespace guts {

// Turns off Abseil's deadlock detector for the whole process. Call before any thread starts.
void SkipMutexDeadlockDetection();

}  // namespace guts
