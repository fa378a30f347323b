// The agent's durable outbox: every snapshot not yet acknowledged by the collector, on disk,
// in seq order, bounded in bytes. It also owns the seq counter, which survives restarts.
//
// Layout in `dir`: segment files "seg-<first seq, 20 digits>.log" of framed records, and
// "acked" holding the highest acknowledged seq. A record frame is
//   [u32 payload length][u32 crc32 of (seq, payload)][u64 seq][payload]   (little-endian).
// Segments are append-only; a whole segment is deleted once all its records are acked, or
// when the spool is over its byte budget (oldest first; the records lost are counted).
//
// Durability: each Append is written with one write() and then fdatasync'ed. write() alone
// already survives kill -9 of the agent (the page cache belongs to the kernel); the fdatasync
// makes it survive a host crash too, at one sync per snapshot (1/s by default), which is cheap.
// A torn tail left by a crash mid-write fails its length or crc check at Open and is cut off.
// The "acked" file is replaced atomically (write, fsync, rename) before acked segments are
// deleted, so the seq counter can never go backwards. It is written only then (about once per
// segment, not per ack): after a restart the agent may resend up to one segment of snapshots
// the collector already stored, which the collector drops by seq.
//
// Example:
//   absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open("/var/lib/guts-agent", 64 << 20);
//   uint64_t seq = (*spool)->NextSeq();
//   (*spool)->Append(seq, bytes);
//   for (const SpoolRecord& r : *(*spool)->ReadAfter(last_sent, 64)) Send(r);
//   (*spool)->Ack(acked_seq);
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
  // Opens or creates the spool in `dir` (created if missing). Cuts off corrupt tails.
  // Returns INVALID_ARGUMENT when max_bytes is below 64 KiB, or the I/O error naming the path.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir, uint64_t max_bytes);
  ~Spool();

  // The seq the next Append must use: one above everything ever spooled or acked.
  uint64_t NextSeq() const;

  // Appends one record durably. REQUIRES: seq == NextSeq(). Drops the oldest segments first
  // when the budget would be exceeded. Returns INVALID_ARGUMENT for a record larger than a
  // segment, or the I/O error (the record is then not spooled).
  absl::Status Append(uint64_t seq, const std::string& payload);

  // Up to `max_count` records with seq > `after`, in seq order.
  absl::StatusOr<std::vector<SpoolRecord>> ReadAfter(uint64_t after, size_t max_count);

  // Everything with seq <= `seq` is stored by the collector: forget it. Acks at or below the
  // current one are ignored. An ack at or above NextSeq() moves the seq counter past it.
  absl::Status Ack(uint64_t seq);

  // The highest ack seen (after a restart: the highest one persisted, see above).
  uint64_t last_acked() const;
  // Unacked records and their bytes on disk.
  uint64_t depth() const;
  uint64_t bytes() const;
  // Records dropped for space since the previous call (for Snapshot.spool_dropped).
  uint64_t TakeDropped();
  // Records dropped for space since Open.
  uint64_t total_dropped() const;

 private:
  struct Segment {
    std::string path;
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
    uint64_t records = 0;
    uint64_t bytes = 0;
  };

  Spool(std::string dir, uint64_t max_bytes);
  absl::Status Load();
  absl::Status WriteAcked(uint64_t seq);
  void DropOldestLocked();
  uint64_t BytesLocked() const;
  uint64_t UnackedIn(const Segment& segment) const;

  const std::string dir_;
  const uint64_t max_bytes_;
  const uint64_t segment_bytes_;

  mutable std::mutex mu_;
  std::deque<Segment> segments_;  // oldest first; the last one is appended to
  int active_fd_ = -1;            // open on segments_.back() when it is being appended to
  uint64_t next_seq_ = 1;
  uint64_t acked_ = 0;
  uint64_t dropped_since_take_ = 0;
  uint64_t dropped_total_ = 0;
  // The newest records, so that a connected stream reads what was just appended without
  // touching the disk.
  std::deque<SpoolRecord> recent_;
};

}  // namespace guts::agent
