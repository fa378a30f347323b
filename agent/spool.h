// The agent's durable outbox: every snapshot not yet acknowledged by every collector, on disk,
// in seq order, bounded in bytes. It also owns the seq counter, which survives restarts.
//
// One ack cursor per collector (the agent streams to each collector in its list): a record
// leaves the spool when every cursor is past it, or when the byte cap drops its segment; a drop
// is counted for each collector that had not acked the records dropped.
//
// Layout in `dir`: segment files "seg-<first seq, 20 digits>.log" of framed records, "acked"
// holding the floor (the lowest cursor: everything at or below it is gone), and one
// "acked-<collector>" per collector holding that collector's cursor (a collector without a
// file starts at the floor, so an agent that gains a second collector sends it what is still
// spooled). A record frame is
//   [u32 payload length][u32 crc32 of (seq, payload)][u64 seq][payload]   (little-endian).
// Segments are append-only; a whole segment is deleted once all its records are acked, or
// when the spool is over its byte budget (oldest first; the records lost are counted).
//
// Durability: each Append is written with one write(), which already survives kill -9 of the
// agent (the page cache belongs to the kernel). To survive a host crash too, a record is
// fdatasync'ed unless every record before it has been acked by every collector: while the
// collectors keep up (acks come back within milliseconds) a record is synced only if it is
// still unacked at the next Append (or when its segment is closed), so a host crash loses at
// most the one newest unacked record, one interval old; while a collector is behind or away
// every record is synced at once. (A sync per snapshot was 15 % of the agent's CPU.)
// A torn tail left by a crash mid-write fails its length or crc check at Open and is cut off.
// The "acked" file is replaced atomically (write, fsync, rename) before acked segments are
// deleted, so the seq counter can never go backwards. It is written only then (about once per
// segment, not per ack), and a collector's cursor file only when that cursor enters a new
// segment: after a restart the agent may resend up to one segment of snapshots a collector
// already stored, which the collector drops by seq.
//
// Example:
//   absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open("/var/lib/guts-agent", 64 << 20);
//   uint64_t seq = (*spool)->NextSeq();
//   (*spool)->Append(seq, bytes);
//   for (const SpoolRecord& r : *(*spool)->ReadAfter(last_sent, 64)) Send(r);
//   (*spool)->Ack(acked_seq);
//   // Two collectors: cursor 0 and 1.
//   auto two = Spool::Open(dir, 64 << 20, {"collector-a:7400", "collector-b:7400"});
//   (*two)->Ack(/*collector=*/1, seq);   // b has it; it stays until a has it too
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace guts::agent {

struct SpoolRecord {
  uint64_t seq = 0;
  std::string payload;
};

class Spool {
 public:
  // Opens or creates the spool in `dir` (created if missing) with one ack cursor per name in
  // `collectors` (their "host:port"; none: one unnamed cursor). Cuts off corrupt tails.
  // Returns INVALID_ARGUMENT when max_bytes is below 64 KiB or a name repeats, or the I/O
  // error naming the path.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir, uint64_t max_bytes,
                                                     std::vector<std::string> collectors = {});
  ~Spool();

  // The seq the next Append must use: one above everything ever spooled or acked.
  uint64_t NextSeq() const;

  // Appends one record (durable as the file comment says). REQUIRES: seq == NextSeq(). Drops the
  // oldest segments first when the budget would be exceeded. Returns INVALID_ARGUMENT for a record
  // larger than a segment, or the I/O error (the record is then not spooled).
  absl::Status Append(uint64_t seq, const std::string& payload);

  // Up to `max_count` records with seq > `after`, in seq order.
  absl::StatusOr<std::vector<SpoolRecord>> ReadAfter(uint64_t after, size_t max_count);

  // Everything with seq <= `seq` is stored by collector number `collector` (its index in the
  // list given to Open): records every collector has stored are forgotten. Acks at or below
  // that collector's cursor are ignored. An ack at or above NextSeq() moves the seq counter
  // past it. REQUIRES: collector < collectors().
  absl::Status Ack(size_t collector, uint64_t seq);
  // Every collector has stored everything up to `seq`.
  absl::Status Ack(uint64_t seq);

  // The number of cursors, and the name each was opened with.
  size_t collectors() const { return names_.size(); }
  const std::string& collector_name(size_t collector) const { return names_[collector]; }

  // The lowest cursor: every collector has acked up to here (after a restart: the persisted
  // ones, see above).
  uint64_t last_acked() const;
  // One collector's cursor. REQUIRES: collector < collectors().
  uint64_t last_acked(size_t collector) const;
  // Unacked records and their bytes on disk.
  uint64_t depth() const;
  uint64_t bytes() const;
  // Records dropped for space since the previous call that some collector had not acked (for
  // Snapshot.spool_dropped: the most any one collector lost).
  uint64_t TakeDropped();
  // Records dropped for space since Open that some collector had not acked.
  uint64_t total_dropped() const;
  // Records dropped for space since Open before collector number `collector` acked them.
  uint64_t dropped_for(size_t collector) const;

 private:
  struct Segment {
    std::string path;
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
    uint64_t records = 0;
    uint64_t bytes = 0;
  };

  // One collector's position.
  struct Cursor {
    uint64_t acked = 0;
    uint64_t persisted = 0;  // what its file says
    uint64_t dropped = 0;
  };

  Spool(std::string dir, uint64_t max_bytes, std::vector<std::string> names);
  absl::Status Load();
  absl::Status WriteNumber(const std::string& file, uint64_t seq);
  std::string CursorFile(size_t collector) const;
  void DropOldestLocked();
  uint64_t BytesLocked() const;
  // Records of `segment` above `acked`.
  static uint64_t UnackedIn(const Segment& segment, uint64_t acked);

  const std::string dir_;
  const uint64_t max_bytes_;
  const uint64_t segment_bytes_;
  const std::vector<std::string> names_;

  mutable std::mutex mu_;
  std::deque<Segment> segments_;  // oldest first; the last one is appended to
  int active_fd_ = -1;            // open on segments_.back() when it is being appended to
  bool active_unsynced_ = false;  // active_fd_ holds a record written but not fdatasync'ed
  uint64_t next_seq_ = 1;
  uint64_t acked_ = 0;           // the floor: the lowest cursor
  std::vector<Cursor> cursors_;  // one per name
  uint64_t dropped_since_take_ = 0;
  uint64_t dropped_total_ = 0;
  // The newest records, so that a connected stream reads what was just appended without
  // touching the disk.
  std::deque<SpoolRecord> recent_;
};

}  // namespace guts::agent
