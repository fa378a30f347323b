// Store: the collector's one RocksDB, with a column family per kind of record.
//
//   snapshots    node|be64 taken_ms|be64 seq -> Snapshot, most as a delta from the node's
//                previous one (keys::SnapshotValueKind; LZ4 young, zstd + dictionary settled)
//   latest       node|'s' -> received, first seen, Snapshot; node|'h' -> Hello
//   incidents    id -> Incident
//   bundles      id -> BundleInfo
//   bundle_data  id|be64 offset -> bytes                           (blob files)
//   meta         "store_version" -> decimal version, for migrations;
//                "<room>/<id>" -> a room's small record (alerting outbox, maintenance windows)
//
// Writes go through the WAL without an fsync per write: a write that returned OK survives a
// crash of the process (kill -9), not necessarily a power loss.
//
// Example:
//   absl::StatusOr<std::unique_ptr<Store>> store = Store::Open({.dir = "/var/lib/guts"});
//   (*store)->PutSnapshots(records);
//   (*store)->History("v3", from, to, [](const Snapshot& s) { ...; return true; });
//
// Thread-safe: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "guts/diag/v1/agent.pb.h"
#include "guts/diag/v1/bundle.pb.h"
#include "guts/diag/v1/incident.pb.h"
#include "guts/diag/v1/snapshot.pb.h"
#include "rocksdb/compression_type.h"

namespace guts::collector {

struct StoreOptions {
  std::string dir;
  // Size of the zstd dictionary made per bottommost SST file of the snapshots CF (from the
  // samples as they are, not trained: see SnapshotsOptions); 0 disables it.
  uint32_t zstd_dict_bytes = 16 * 1024;
  // zstd level where snapshots settle (the bottommost level). 8: with the untrained
  // dictionary it costs a full compaction what level 6 with a trained one did (store_bench:
  // 7.8 us a snapshot against 7.9-8.4) for 1.5 B a snapshot less than level 6 (297.4 B against
  // 298.9); 9 saves 1.1 B more for +0.9 us, 15 and 19 save ~8 B for 5-7x the CPU.
  int zstd_level = 8;
  // Compression of the snapshots CF's younger levels.
  rocksdb::CompressionType young_compression = rocksdb::kLZ4Compression;
  // A node's snapshots are stored whole once every chain_length, as deltas in between: a
  // history read starts up to chain_length - 1 snapshots early. 1 stores every one whole.
  uint32_t chain_length = 64;
  // All memtables together (RocksDB's db_write_buffer_size): beyond it the largest is flushed.
  // The snapshots CF's memtable flushes at two thirds of it and the latest CF's at a sixth.
  // Smaller means less memory and more, smaller flushes (docs/benchmarks.md, "10 000 streams,
  // second pass"). Between kMinMemtableBytes and kMaxMemtableBytes.
  uint64_t memtable_bytes = kDefaultMemtableBytes;

  static constexpr uint64_t kDefaultMemtableBytes = 32ull << 20;
  static constexpr uint64_t kMinMemtableBytes = 4ull << 20;
  static constexpr uint64_t kMaxMemtableBytes = 16ull << 30;
};

// One received snapshot to persist.
struct SnapshotRecord {
  guts::diag::v1::Snapshot snapshot;
  absl::Time received;
  absl::Time first_seen;  // of the node, kept with its latest snapshot
};

// A small record of another room (see PutRecord), written in the same batch as snapshots.
struct RoomRecord {
  std::string room;
  std::string id;
  std::string value;
};

// What the latest CF holds for one node.
struct LatestNode {
  std::string node_id;
  std::optional<guts::diag::v1::Hello> hello;
  std::optional<guts::diag::v1::Snapshot> snapshot;
  absl::Time received = absl::InfinitePast();
  absl::Time first_seen = absl::InfinitePast();
};

// Sizes reported on /metrics and by the benchmark.
struct StoreFigures {
  uint64_t snapshots_sst_bytes = 0;
  uint64_t snapshots_estimated_keys = 0;
  uint64_t total_sst_bytes = 0;
  uint64_t memtable_bytes = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t blob_bytes = 0;
};

class Store {
 public:
  // The layout version this build writes. Opening a store written by a newer version fails.
  // Version 2 stores deltas (keys::SnapshotValueKind) and still reads version 1's values.
  // Version 3's latest CF names each node's latest snapshot by its key instead of holding a
  // second copy of it (keys::LatestValue); it still reads version 2's latest values.
  static constexpr int kVersion = 3;

  // Opens or creates the store in options.dir. Returns FAILED_PRECONDITION for a store of a
  // newer version, INTERNAL (with RocksDB's message) when RocksDB cannot open it,
  // INVALID_ARGUMENT for a memtable budget out of its bounds.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Writes every record and, per node, the one with the highest seq as its latest, in one
  // atomic write batch, with `room_records` (as PutRecord would) in the same batch: e.g. the
  // loss totals these snapshots changed. REQUIRES: each record's node id passed
  // keys::ValidNodeId.
  absl::Status PutSnapshots(const std::vector<SnapshotRecord>& records,
                            const std::vector<RoomRecord>& room_records = {});
  absl::Status PutHello(const guts::diag::v1::Hello& hello);

  // Every node of the latest CF, sorted by node id, each with its latest snapshot (read from
  // the snapshots CF: one history read per node, up to chain_length - 1 deltas applied).
  absl::StatusOr<std::vector<LatestNode>> LatestAll() const;
  // The ids of those nodes alone (no snapshot read).
  absl::StatusOr<std::vector<std::string>> NodeIds() const;

  // Calls `visit` on the node's snapshots with from <= taken < to, oldest first, until it
  // returns false. Infinite bounds mean open ends.
  absl::Status History(const std::string& node_id, absl::Time from, absl::Time to,
                       const std::function<bool(const guts::diag::v1::Snapshot&)>& visit) const;

  absl::Status PutIncidents(const std::vector<guts::diag::v1::Incident>& incidents);
  absl::StatusOr<std::vector<guts::diag::v1::Incident>> LoadIncidents() const;

  // Bundles (metadata and archive bytes). GetBundleInfo returns NOT_FOUND for an unknown id.
  absl::Status PutBundleInfo(const guts::diag::v1::BundleInfo& info);
  absl::StatusOr<guts::diag::v1::BundleInfo> GetBundleInfo(const std::string& id) const;
  // Newest first (by requested time); empty node_id = every node; limit 0 = no limit.
  absl::StatusOr<std::vector<guts::diag::v1::BundleInfo>> ListBundles(const std::string& node_id,
                                                                      size_t limit) const;
  // Stores `bytes` as the chunk starting at `offset`. The caller appends in order.
  absl::Status AppendBundleData(const std::string& id, uint64_t offset, const std::string& bytes);
  // Up to `max_bytes` from `offset` (fewer at the end; empty past the end).
  absl::StatusOr<std::string> ReadBundleData(const std::string& id, uint64_t offset,
                                             size_t max_bytes) const;
  // Deletes a bundle's metadata and bytes (retention; unknown ids are not an error).
  absl::Status DeleteBundle(const std::string& id);

  // Deletes every snapshot taken before `cutoff`, by whole key ranges per node. The first
  // snapshot kept, when stored as a delta, is first rewritten whole (in the same batch).
  absl::Status DeleteSnapshotsBefore(absl::Time cutoff);

  // Downsampled history: of every node's snapshots taken before `cutoff`, keeps only the
  // last (highest taken time, then seq) of each `interval` of taken time, the intervals
  // aligned on the Unix epoch (at 1 min: the last snapshot of each wall-clock minute, as
  // `node history --step 1m` picks), and deletes the others. What is kept reads back
  // byte-identical. Each call goes on from where the last one stopped (a watermark in the meta CF,
  // rounded down to `interval`): an older stretch keeps the resolution it was downsampled to.
  // Idempotent; a crash part-way leaves each node either done or untouched. REQUIRES: interval >= 1
  // ms.
  absl::Status DownsampleSnapshotsBefore(absl::Time cutoff, absl::Duration interval);
  // Snapshots taken before this were downsampled (seqs missing there were dropped on
  // purpose); InfinitePast when nothing was. DATA_LOSS for a damaged watermark.
  absl::StatusOr<absl::Time> DownsampledBefore() const;

  // Small records other rooms keep (keys::RoomRecordKey(room, id)). Records(room) returns
  // every (id, value) of the room in id order; deleting an unknown id is not an error.
  absl::Status PutRecord(absl::string_view room, absl::string_view id, absl::string_view value);
  absl::Status DeleteRecord(absl::string_view room, absl::string_view id);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Records(
      absl::string_view room) const;

  // Flushes memtables and compacts the snapshots CF (used by the benchmark).
  absl::Status Compact();

  StoreFigures Figures() const;

  // After a failed write (a full disk, no file descriptors) RocksDB refuses every later write
  // until resumed; this clears that state once the cause is gone. Returns the error when
  // writing is still impossible.
  absl::Status Resume();

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace guts::collector
