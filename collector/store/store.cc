#include "collector/store/store.h"

#include <algorithm>
#include <filesystem>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collector/store/keys.h"
#include "collector/store/rocksdb_log.h"
#include "collector/store/snapshot_delta.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace guts::collector {
namespace {

using guts::diag::v1::BundleInfo;
using guts::diag::v1::Hello;
using guts::diag::v1::Incident;
using guts::diag::v1::Snapshot;

enum Cf { kDefault, kSnapshots, kLatest, kIncidents, kBundles, kBundleData, kMeta, kCfCount };
const char* const kCfNames[kCfCount] = {"default", "snapshots",   "latest", "incidents",
                                        "bundles", "bundle_data", "meta"};

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat(what, ": not found"));
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

int64_t ToMs(absl::Time t) {
  if (t == absl::InfinitePast()) return 0;
  return absl::ToUnixMillis(t);
}

absl::Time FromMs(int64_t ms) { return ms == 0 ? absl::InfinitePast() : absl::FromUnixMillis(ms); }

using keys::SnapshotValueKind;

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// Map entries sorted, so that consecutive snapshots of a node have their fields in the same
// order and the next one can be stored as a delta. Into `out` at the snapshot's exact size:
// its buffer is reused when it fits and is not much larger (it was the node's previous chain
// base, kept at that snapshot's size), else a fresh one of that size is made. Growing a
// serializing stream's string by doubling and shrinking it back for the chain base copied
// every snapshot once or twice more.
void SerializeDeterministic(const Snapshot& snapshot, std::string* out) {
  const size_t size = snapshot.ByteSizeLong();
  if (out->capacity() < size || out->capacity() > size + size / 16) {
    std::string fresh;
    fresh.reserve(size);
    out->swap(fresh);
  }
  out->resize(size);
  google::protobuf::io::ArrayOutputStream array(out->data(), static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  // The sizes ByteSizeLong just cached: nothing changes the snapshot in between.
  snapshot.SerializeWithCachedSizes(&coded);
}

// Where a node's chain of deltas stands in the writer (see keys::SnapshotValueKind).
struct NodeChain {
  std::string last_key;  // the node's highest snapshot key in the store ("" when none)
  std::string base;      // the snapshot of the last chain value ("" until the next chain start)
  uint64_t base_seq = 0;
  int64_t base_taken_ms = 0;
  uint32_t length = 0;  // chain values since (and with) the chain start
  // The PutSnapshots call (Impl::batches) that last touched the chain, and in it the node's
  // record with the highest seq, whose key the latest CF names.
  uint64_t batch = 0;
  const SnapshotRecord* newest = nullptr;
};

// See SnapshotsOptions.
constexpr uint64_t kDictBufferBytes = 8 << 20;

// A snapshot key's node part (node id and separator, keys::NodePrefix): the memtable keeps
// where it last inserted each node's key and starts the next insert of that node there. A
// node's keys arrive in time order, so its next key belongs right after its last one; without
// the hint every insert searched the whole skip list from the top (memtable inserts were 6 %
// of the collector's CPU at 1 000 agents sending once a second, most of it key comparisons).
class SnapshotNodePrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "guts.SnapshotNodePrefix"; }
  // keys::SnapshotKey: node, separator, then the 8-byte time and the 8-byte seq.
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - kKeyTail);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > kKeyTail; }

 private:
  static constexpr size_t kKeyTail = 16;
};

rocksdb::ColumnFamilyOptions SnapshotsOptions(const StoreOptions& options) {
  rocksdb::ColumnFamilyOptions cf;
  // Young levels are rewritten soon: fast LZ4. Where the data settles (the bottommost level,
  // most of the bytes) strong zstd with a dictionary trained per file: the deltas of one
  // node's consecutive snapshots repeat their layout, which the dictionary and large blocks
  // let zstd find.
  cf.compression = options.young_compression;
  cf.bottommost_compression = rocksdb::kZSTD;
  cf.bottommost_compression_opts.enabled = true;
  cf.bottommost_compression_opts.level = options.zstd_level;
  if (options.zstd_dict_bytes > 0) {
    cf.bottommost_compression_opts.max_dict_bytes = options.zstd_dict_bytes;
    cf.bottommost_compression_opts.zstd_max_train_bytes = options.zstd_dict_bytes * 100;
    // To sample the dictionary RocksDB keeps an output file's blocks uncompressed in memory
    // until the dictionary is made: by default up to the whole file (target_file_size_base,
    // 64 MiB), per running compaction. The samples (zstd_max_train_bytes, 1.6 MB) come from
    // the first kDictBufferBytes instead.
    cf.bottommost_compression_opts.max_dict_buffer_bytes = kDictBufferBytes;
    // The dictionary made from the samples as they are (ZDICT_finalizeDictionary) instead of
    // trained over them: training was a sixth of a full compaction's CPU (store_bench: 8.0-8.3
    // -> 6.9-7.0 us a snapshot), and with 128 KiB blocks it saved 0.04 B a snapshot (298.89
    // trained, 298.93 not, against 299.84 at 64 KiB trained).
    cf.bottommost_compression_opts.use_zstd_dict_trainer = false;
  }
  // A node's deltas are contiguous in key order, so a block holds a few hundred of one node's
  // consecutive snapshots and zstd finds their repeats within it. 128 KiB, not larger: a
  // small cold read (one snapshot and its chain) decompresses every block it touches whole
  // (store_bench's last second: ~260 us at 64 KiB, ~310 at 128, ~410 at 256, which saved 0.4
  // B a snapshot more).
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 128 * 1024;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Two thirds of the budget: it takes nearly every byte written (64 of 96 MiB before the
  // budget was an option).
  cf.write_buffer_size = options.memtable_bytes / 3 * 2;
  cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<SnapshotNodePrefix>();
  return cf;
}

}  // namespace

struct Store::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  uint32_t chain_length = 0;

  // Held across a whole PutSnapshots, so chains advance in the order their values are written.
  absl::Mutex write_mu;
  // Node-based: PutSnapshots keeps pointers to the chains a batch touches while it adds others.
  absl::node_hash_map<std::string, NodeChain> chains ABSL_GUARDED_BY(write_mu);
  uint64_t batches ABSL_GUARDED_BY(write_mu) = 0;  // PutSnapshots calls so far
  // PutSnapshots' write batch, cleared and reused (its buffer stays allocated).
  rocksdb::WriteBatch snapshot_batch ABSL_GUARDED_BY(write_mu);
  // Snapshots taken before this are being deleted (retention): no delta may build on them.
  int64_t retention_floor_ms ABSL_GUARDED_BY(write_mu) = 0;

  ~Impl() {
    for (rocksdb::ColumnFamilyHandle* cf : cfs) db->DestroyColumnFamilyHandle(cf);
  }

  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[c]; }

  // An iterator over one node's snapshot keys below `upper` (its whole range when empty).
  std::unique_ptr<rocksdb::Iterator> NodeIterator(const std::string& prefix,
                                                  const std::string& upper,
                                                  rocksdb::Slice* lower_slice,
                                                  rocksdb::Slice* upper_slice) const {
    *lower_slice = rocksdb::Slice(prefix);
    *upper_slice = rocksdb::Slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = lower_slice;
    ro.iterate_upper_bound = upper_slice;
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf(kSnapshots)));
  }

  // The node's highest snapshot key in the store, "" when it has none.
  absl::StatusOr<std::string> LastSnapshotKey(const std::string& node) const {
    std::string prefix = keys::NodePrefix(node), end = keys::NodeEnd(node);
    rocksdb::Slice lo, hi;
    std::unique_ptr<rocksdb::Iterator> it = NodeIterator(prefix, end, &lo, &hi);
    it->SeekToLast();
    if (!it->status().ok()) return FromRocks(it->status(), "read last snapshot key");
    return it->Valid() ? it->key().ToString() : std::string();
  }

  // Moves `it` back to the chain start that the chain values after its position build on and
  // returns true; false (position unspecified) when there is none: then no chain value follows
  // before the next chain start (only legacy values, never chain values, precede a legacy one).
  static absl::StatusOr<bool> SeekBackToChainStart(rocksdb::Iterator* it) {
    for (; it->Valid(); it->Prev()) {
      absl::StatusOr<keys::SnapshotValue> v = keys::ParseSnapshotValue(View(it->value()));
      if (!v.ok()) return v.status();
      if (v->kind == SnapshotValueKind::kChainStart) return true;
      if (v->kind == SnapshotValueKind::kLegacy) break;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "seek chain start");
    return false;
  }

  // Calls `visit(key, serialized snapshot)` for the node's snapshots with lower <= key < upper,
  // in key order, until it returns false or an error (returned).
  absl::Status Read(const std::string& node_id, const std::string& lower, const std::string& upper,
                    const std::function<absl::StatusOr<bool>(absl::string_view, absl::string_view)>&
                        visit) const {
    std::string prefix = keys::NodePrefix(node_id);
    rocksdb::Slice lower_slice, upper_slice;
    std::unique_ptr<rocksdb::Iterator> it = NodeIterator(prefix, upper, &lower_slice, &upper_slice);
    // A delta in range builds on values before it: start from their chain start.
    it->SeekForPrev(lower);
    absl::StatusOr<bool> back = SeekBackToChainStart(it.get());
    if (!back.ok()) return back.status();
    if (!*back) it->Seek(lower);
    std::string base;
    uint64_t base_seq = 0;
    for (; it->Valid(); it->Next()) {
      absl::string_view key = View(it->key());
      absl::StatusOr<keys::SnapshotValue> value = keys::ParseSnapshotValue(View(it->value()));
      if (!value.ok()) return value.status();
      absl::string_view bytes = value->payload;
      if (value->kind == SnapshotValueKind::kChainStart ||
          value->kind == SnapshotValueKind::kChainNext) {
        absl::StatusOr<keys::SnapshotKeyParts> parts = keys::ParseSnapshotKey(key);
        if (!parts.ok()) return parts.status();
        if (value->kind == SnapshotValueKind::kChainStart) {
          base.assign(bytes.data(), bytes.size());
        } else {
          if (base.empty() || parts->seq - value->seq_gap != base_seq) {
            return absl::DataLossError(absl::StrCat("snapshot ", parts->seq, " of ", node_id,
                                                    " builds on a snapshot the store lacks"));
          }
          absl::StatusOr<std::string> rebuilt = ApplySnapshotDelta(base, bytes);
          if (!rebuilt.ok()) {
            return absl::DataLossError(absl::StrCat("snapshot ", parts->seq, " of ", node_id, ": ",
                                                    rebuilt.status().message()));
          }
          base = *std::move(rebuilt);
        }
        base_seq = parts->seq;
        bytes = base;
      }
      if (key < absl::string_view(lower)) continue;
      absl::StatusOr<bool> more = visit(key, bytes);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return FromRocks(it->status(), "read history");
  }

  // The serialized snapshot at `key` (which must exist) of `node_id`.
  absl::StatusOr<std::string> Rebuild(const std::string& node_id, const std::string& key) const {
    std::string end = key + '\0', out;
    absl::Status s = Read(node_id, key, end,
                          [&](absl::string_view, absl::string_view bytes) -> absl::StatusOr<bool> {
                            out.assign(bytes.data(), bytes.size());
                            return false;
                          });
    if (!s.ok()) return s;
    if (out.empty())
      return absl::DataLossError(absl::StrCat("no snapshot of ", node_id, " to keep"));
    return out;
  }

  // The serialized snapshot at `key` of `node_id`, the latest the latest CF names; when it is
  // gone (retention or downsampling deleted it: a node silent for longer than they keep), the
  // node's newest stored one; "" when none is left.
  absl::StatusOr<std::string> LatestSnapshotBytes(const std::string& node_id,
                                                  const std::string& key) const {
    std::string out;
    auto take = [&](absl::string_view, absl::string_view bytes) -> absl::StatusOr<bool> {
      out.assign(bytes.data(), bytes.size());
      return false;
    };
    if (absl::Status s = Read(node_id, key, key + '\0', take); !s.ok()) return s;
    if (!out.empty()) return out;
    absl::StatusOr<std::string> newest = LastSnapshotKey(node_id);
    if (!newest.ok() || newest->empty()) return newest;
    if (absl::Status s = Read(node_id, *newest, *newest + '\0', take); !s.ok()) return s;
    return out;
  }

  // When the first chain value of `node_id` at or after `bound` is a delta, puts it into
  // `batch` whole, as a chain start: what it builds on is about to be deleted.
  absl::Status RewriteFirstChainValueFrom(const std::string& node_id, const std::string& bound,
                                          rocksdb::WriteBatch* batch) const {
    std::string prefix = keys::NodePrefix(node_id), end = keys::NodeEnd(node_id);
    rocksdb::Slice lo, hi;
    std::unique_ptr<rocksdb::Iterator> it = NodeIterator(prefix, end, &lo, &hi);
    for (it->Seek(bound); it->Valid(); it->Next()) {
      absl::StatusOr<keys::SnapshotValue> v = keys::ParseSnapshotValue(View(it->value()));
      if (!v.ok()) return v.status();
      if (v->kind == SnapshotValueKind::kChainStart) break;
      if (v->kind != SnapshotValueKind::kChainNext) continue;
      std::string first_kept = it->key().ToString();
      absl::StatusOr<std::string> bytes = Rebuild(node_id, first_kept);
      if (!bytes.ok()) return bytes.status();
      std::string value;
      keys::AppendSnapshotValueHeader(&value, SnapshotValueKind::kChainStart);
      value.append(*bytes);
      batch->Put(cf(kSnapshots), first_kept, value);
      break;
    }
    return FromRocks(it->status(), "rewrite chain start");
  }

  template <typename Message>
  absl::StatusOr<std::vector<Message>> LoadAll(Cf c) const {
    std::vector<Message> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf(c)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Message m;
      if (!m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(
            absl::StrCat("unparsable record in ", kCfNames[c], " at ", it->key().ToString()));
      }
      out.push_back(std::move(m));
    }
    if (!it->status().ok()) return FromRocks(it->status(), kCfNames[c]);
    return out;
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.memtable_bytes < StoreOptions::kMinMemtableBytes ||
      options.memtable_bytes > StoreOptions::kMaxMemtableBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("store memtable budget ", options.memtable_bytes, " bytes is not between ",
                     StoreOptions::kMinMemtableBytes, " and ", StoreOptions::kMaxMemtableBytes));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create store directory ", options.dir, ": ", ec.message()));
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.max_total_wal_size = 256 << 20;
  // All memtables together: beyond, the largest is flushed. Without the cap each column
  // family could hold its own 64 MiB (and as much again while flushing): at 10 000 nodes the
  // memtables alone took a quarter of the collector's memory (docs/benchmarks.md, "Collector
  // ingest"); at 96 MiB still 87 MB of 10 000 streams' 550 MiB ("10 000 streams, second pass").
  db_options.db_write_buffer_size = options.memtable_bytes;
  // No LOG file on the store's disk: a full disk made RocksDB abort while logging the error.
  db_options.info_log = RocksDbLog();

  rocksdb::ColumnFamilyOptions plain;
  plain.compression = rocksdb::kZSTD;
  rocksdb::ColumnFamilyOptions blobs = plain;
  blobs.enable_blob_files = true;
  blobs.min_blob_size = 0;
  blobs.blob_compression_type = rocksdb::kZSTD;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int c = 0; c < kCfCount; ++c) {
    rocksdb::ColumnFamilyOptions cf = plain;
    if (c == kSnapshots) cf = SnapshotsOptions(options);
    if (c == kBundleData) cf = blobs;
    if (c == kLatest) {
      // Each node's value is overwritten at every write batch: fast LZ4 for the flushes
      // and the compactions that drop the old values, zstd only where they settle.
      cf.compression = rocksdb::kLZ4Compression;
      cf.bottommost_compression = rocksdb::kZSTD;
      cf.write_buffer_size = options.memtable_bytes / 6;  // 16 of 96 MiB before the option
      // Its memtables fill at every batch's full snapshots; with RocksDB's default of two, a
      // burst of writes while one flushes waited for the flush ("Stopping writes because we
      // have 2 immutable memtables", seen in store_bench). db_write_buffer_size still caps
      // the memory of all memtables together.
      cf.max_write_buffer_number = 4;
      // Each key is written over and over: a new version goes right before the one the
      // memtable inserted last for that key, where the hint (the key itself) starts it.
      cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewNoopTransform());
    }
    descriptors.emplace_back(kCfNames[c], cf);
  }
  auto impl = std::make_unique<Impl>();
  impl->chain_length = std::max<uint32_t>(options.chain_length, 1);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.dir, descriptors, &impl->cfs, &db);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open store ", options.dir));
  impl->db.reset(db);

  std::string version;
  s = db->Get(rocksdb::ReadOptions(), impl->cf(kMeta), keys::kStoreVersionKey, &version);
  if (s.IsNotFound()) {
    s = db->Put(rocksdb::WriteOptions(), impl->cf(kMeta), keys::kStoreVersionKey,
                std::to_string(kVersion));
    if (!s.ok()) return FromRocks(s, "write store version");
  } else if (!s.ok()) {
    return FromRocks(s, "read store version");
  } else {
    int stored = 0;
    if (!absl::SimpleAtoi(version, &stored)) {
      return absl::DataLossError(absl::StrCat("store version is not a number: ", version));
    }
    if (stored > kVersion) {
      return absl::FailedPreconditionError(absl::StrCat("store in ", options.dir,
                                                        " has layout version ", stored,
                                                        "; this build reads up to ", kVersion));
    }
    // Older values stay readable as they are; the new version number makes an older build
    // refuse the store instead of misreading the values written from now on.
    if (stored < kVersion) {
      s = db->Put(rocksdb::WriteOptions(), impl->cf(kMeta), keys::kStoreVersionKey,
                  std::to_string(kVersion));
      if (!s.ok()) return FromRocks(s, "write store version");
    }
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

absl::Status Store::PutSnapshots(const std::vector<SnapshotRecord>& records,
                                 const std::vector<RoomRecord>& room_records) {
  absl::MutexLock lock(&impl_->write_mu);
  const uint64_t this_batch = ++impl_->batches;
  // The chains this batch touches, in the order of their nodes' first records, advanced in
  // place (one lookup a record). A failed write erases them, so that no chain points at an
  // unwritten value: the next snapshot of these nodes re-reads where each stands.
  std::vector<std::pair<const std::string*, NodeChain*>> touched;
  auto forget = [&](absl::Status why) {
    for (const auto& [node, chain] : touched) impl_->chains.erase(*node);
    return why;
  };
  // The keys of this batch's records so far, made only once a record comes out of time order
  // (the only place a key can repeat one of the batch): rewriting a key the batch already
  // holds could cut a chain.
  absl::flat_hash_set<std::string> batch_keys;
  bool batch_keys_made = false;
  // One buffer for every batch, kept at its largest size: growing a fresh one by doubling
  // copied it over and over and faulted its pages in again at every batch (megabytes at a
  // few thousand records).
  rocksdb::WriteBatch& batch = impl_->snapshot_batch;
  batch.Clear();
  std::string bytes, value;
  for (size_t i = 0; i < records.size(); ++i) {
    const SnapshotRecord& r = records[i];
    const Snapshot& s = r.snapshot;
    auto [entry, fresh] = impl_->chains.try_emplace(s.node_id());
    NodeChain& chain = entry->second;
    if (chain.batch != this_batch) {
      chain.batch = this_batch;
      chain.newest = nullptr;
      touched.emplace_back(&entry->first, &chain);
      if (fresh) {
        absl::StatusOr<std::string> last = impl_->LastSnapshotKey(s.node_id());
        if (!last.ok()) return forget(last.status());
        chain.last_key = *std::move(last);
      }
    }
    const bool is_newest = chain.newest == nullptr || chain.newest->snapshot.seq() < s.seq();
    std::string key = keys::SnapshotKey(s.node_id(), s.taken_unix_ms(), s.seq());
    if (is_newest) chain.newest = &r;
    if (key <= chain.last_key) {
      // Out of time order (a replay, a clock stepped back): stored whole, outside the chain.
      // A key already stored is the same snapshot again; rewriting it could cut a chain.
      if (!batch_keys_made) {
        for (size_t j = 0; j < i; ++j) {
          const Snapshot& earlier = records[j].snapshot;
          batch_keys.insert(
              keys::SnapshotKey(earlier.node_id(), earlier.taken_unix_ms(), earlier.seq()));
        }
        batch_keys_made = true;
      }
      if (!batch_keys.insert(key).second || key == chain.last_key) continue;
      std::string existing;
      rocksdb::Status got =
          impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(kSnapshots), key, &existing);
      if (got.ok()) continue;
      if (!got.IsNotFound()) return forget(FromRocks(got, "read snapshot"));
      SerializeDeterministic(s, &bytes);
      value.clear();
      keys::AppendSnapshotValueHeader(&value, SnapshotValueKind::kAlone);
      value.append(bytes);
      batch.Put(impl_->cf(kSnapshots), key, value);
      continue;
    }
    if (batch_keys_made) batch_keys.insert(key);
    SerializeDeterministic(s, &bytes);
    value.clear();
    bool delta = false;
    if (!chain.base.empty() && chain.length < impl_->chain_length && s.seq() > chain.base_seq &&
        chain.base_taken_ms >= impl_->retention_floor_ms) {
      keys::AppendSnapshotValueHeader(&value, SnapshotValueKind::kChainNext,
                                      s.seq() - chain.base_seq);
      delta = EncodeSnapshotDelta(chain.base, bytes, &value);
    }
    if (delta) {
      ++chain.length;
    } else {
      value.clear();
      keys::AppendSnapshotValueHeader(&value, SnapshotValueKind::kChainStart);
      value.append(bytes);
      chain.length = 1;
    }
    batch.Put(impl_->cf(kSnapshots), key, value);
    // Kept until the node's next snapshot, one per node, at its own size (SerializeDeterministic
    // made it so); `bytes` takes the old base as its next buffer.
    chain.base.swap(bytes);
    chain.base_seq = s.seq();
    chain.base_taken_ms = s.taken_unix_ms();
    chain.last_key = std::move(key);
  }
  for (const auto& [node, chain] : touched) {
    const SnapshotRecord& r = *chain->newest;
    keys::LatestValue v{
        .received_unix_ms = ToMs(r.received),
        .first_seen_unix_ms = ToMs(r.first_seen),
        .snapshot_key = keys::SnapshotKey(*node, r.snapshot.taken_unix_ms(), r.snapshot.seq())};
    batch.Put(impl_->cf(kLatest), keys::LatestSnapshotKey(*node), keys::EncodeLatestValue(v));
  }
  for (const RoomRecord& r : room_records) {
    batch.Put(impl_->cf(kMeta), keys::RoomRecordKey(r.room, r.id), r.value);
  }
  absl::Status written =
      FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "write snapshots");
  if (!written.ok()) return forget(written);
  for (const auto& [node, chain] : touched) chain->newest = nullptr;  // `records` is the caller's
  return written;
}

absl::Status Store::PutHello(const Hello& hello) {
  return FromRocks(impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(kLatest),
                                  keys::HelloKey(hello.node_id()), hello.SerializeAsString()),
                   "write hello");
}

absl::StatusOr<std::vector<LatestNode>> Store::LatestAll() const {
  std::vector<LatestNode> out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kLatest)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<keys::LatestKeyParts> key =
        keys::ParseLatestKey(absl::string_view(it->key().data(), it->key().size()));
    if (!key.ok()) return key.status();
    if (out.empty() || out.back().node_id != key->node) {
      out.push_back(LatestNode{.node_id = key->node});
    }
    LatestNode& node = out.back();
    absl::string_view value(it->value().data(), it->value().size());
    if (key->kind == keys::LatestKind::kHello) {
      Hello hello;
      if (!hello.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        return absl::DataLossError(absl::StrCat("unparsable hello of ", key->node));
      }
      node.hello = std::move(hello);
      continue;
    }
    absl::StatusOr<keys::LatestValue> v = keys::DecodeLatestValue(value);
    if (!v.ok()) return v.status();
    if (!v->snapshot_key.empty()) {
      absl::StatusOr<std::string> bytes = impl_->LatestSnapshotBytes(key->node, v->snapshot_key);
      if (!bytes.ok()) return bytes.status();
      v->snapshot = *std::move(bytes);
    }
    if (!v->snapshot.empty()) {
      Snapshot snapshot;
      if (!snapshot.ParseFromString(v->snapshot)) {
        return absl::DataLossError(absl::StrCat("unparsable latest snapshot of ", key->node));
      }
      node.snapshot = std::move(snapshot);
    }
    node.received = FromMs(v->received_unix_ms);
    node.first_seen = FromMs(v->first_seen_unix_ms);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read latest");
  return out;
}

absl::StatusOr<std::vector<std::string>> Store::NodeIds() const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kLatest)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<keys::LatestKeyParts> key = keys::ParseLatestKey(View(it->key()));
    if (!key.ok()) return key.status();
    if (out.empty() || out.back() != key->node) out.push_back(std::move(key->node));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read node ids");
  return out;
}

absl::Status Store::History(const std::string& node_id, absl::Time from, absl::Time to,
                            const std::function<bool(const Snapshot&)>& visit) const {
  std::string lower = from == absl::InfinitePast()
                          ? keys::NodePrefix(node_id)
                          : keys::SnapshotTimeBound(node_id, absl::ToUnixMillis(from));
  std::string upper = to == absl::InfiniteFuture()
                          ? keys::NodeEnd(node_id)
                          : keys::SnapshotTimeBound(node_id, absl::ToUnixMillis(to));
  Snapshot snapshot;
  return impl_->Read(
      node_id, lower, upper,
      [&](absl::string_view, absl::string_view bytes) -> absl::StatusOr<bool> {
        if (!snapshot.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          return absl::DataLossError(absl::StrCat("unparsable snapshot of ", node_id));
        }
        return visit(snapshot);
      });
}

absl::Status Store::PutIncidents(const std::vector<Incident>& incidents) {
  if (incidents.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  for (const Incident& i : incidents) {
    batch.Put(impl_->cf(kIncidents), keys::IncidentKey(i.id()), i.SerializeAsString());
  }
  return FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "write incidents");
}

absl::StatusOr<std::vector<Incident>> Store::LoadIncidents() const {
  return impl_->LoadAll<Incident>(kIncidents);
}

absl::Status Store::PutBundleInfo(const BundleInfo& info) {
  return FromRocks(impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(kBundles),
                                  keys::BundleKey(info.id()), info.SerializeAsString()),
                   "write bundle info");
}

absl::StatusOr<BundleInfo> Store::GetBundleInfo(const std::string& id) const {
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(kBundles), keys::BundleKey(id), &value);
  if (!s.ok()) return FromRocks(s, absl::StrCat("bundle ", id));
  BundleInfo info;
  if (!info.ParseFromString(value)) return absl::DataLossError("unparsable bundle " + id);
  return info;
}

absl::StatusOr<std::vector<BundleInfo>> Store::ListBundles(const std::string& node_id,
                                                           size_t limit) const {
  absl::StatusOr<std::vector<BundleInfo>> all = impl_->LoadAll<BundleInfo>(kBundles);
  if (!all.ok()) return all.status();
  std::vector<BundleInfo> out;
  for (BundleInfo& b : *all) {
    if (node_id.empty() || b.node_id() == node_id) out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const BundleInfo& a, const BundleInfo& b) {
    return a.requested_unix_ms() > b.requested_unix_ms();
  });
  if (limit > 0 && out.size() > limit) out.resize(limit);
  return out;
}

absl::Status Store::AppendBundleData(const std::string& id, uint64_t offset,
                                     const std::string& bytes) {
  return FromRocks(impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(kBundleData),
                                  keys::BundleChunkKey(id, offset), bytes),
                   "write bundle data");
}

absl::StatusOr<std::string> Store::ReadBundleData(const std::string& id, uint64_t offset,
                                                  size_t max_bytes) const {
  std::string prefix = keys::BundleChunkPrefix(id);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kBundleData)));
  // The chunk holding `offset` is the last one starting at or before it.
  it->SeekForPrev(keys::BundleChunkKey(id, offset));
  if (!it->Valid() || !it->key().starts_with(prefix)) it->Seek(prefix);
  std::string out;
  for (; it->Valid() && it->key().starts_with(prefix) && out.size() < max_bytes; it->Next()) {
    absl::StatusOr<uint64_t> start =
        keys::ParseBundleChunkOffset(absl::string_view(it->key().data(), it->key().size()));
    if (!start.ok()) return start.status();
    uint64_t end = *start + it->value().size();
    if (end <= offset) continue;
    if (*start > offset + out.size()) break;  // a hole: return what is contiguous
    size_t skip = static_cast<size_t>(offset + out.size() - *start);
    size_t take = std::min(it->value().size() - skip, max_bytes - out.size());
    out.append(it->value().data() + skip, take);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read bundle data");
  return out;
}

absl::Status Store::DeleteBundle(const std::string& id) {
  rocksdb::WriteBatch batch;
  batch.Delete(impl_->cf(kBundles), keys::BundleKey(id));
  const std::string last = keys::BundleChunkKey(id, UINT64_MAX);
  batch.DeleteRange(impl_->cf(kBundleData), keys::BundleChunkPrefix(id), last);
  batch.Delete(impl_->cf(kBundleData), last);
  return FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "delete bundle");
}

absl::Status Store::DeleteSnapshotsBefore(absl::Time cutoff) {
  {
    // From here on a node silent since before the cutoff starts a new chain when it is back,
    // instead of a delta from a snapshot this deletes.
    absl::MutexLock lock(&impl_->write_mu);
    impl_->retention_floor_ms = std::max(impl_->retention_floor_ms, absl::ToUnixMillis(cutoff));
  }
  absl::StatusOr<std::vector<std::string>> nodes = NodeIds();
  if (!nodes.ok()) return nodes.status();
  rocksdb::WriteBatch batch;
  for (const std::string& node : *nodes) {
    std::string prefix = keys::NodePrefix(node);
    std::string bound = keys::SnapshotTimeBound(node, absl::ToUnixMillis(cutoff));
    if (absl::Status s = impl_->RewriteFirstChainValueFrom(node, bound, &batch); !s.ok()) {
      return s;
    }
    batch.DeleteRange(impl_->cf(kSnapshots), prefix, bound);
  }
  return FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "retention");
}

absl::Status Store::DownsampleSnapshotsBefore(absl::Time cutoff, absl::Duration interval) {
  const int64_t step = std::max<int64_t>(absl::ToInt64Milliseconds(interval), 1);
  int64_t cut = absl::ToUnixMillis(cutoff);
  if (cut <= 0) return absl::OkStatus();
  cut -= cut % step;
  {
    // As for retention: no new delta may build on a snapshot this may delete.
    absl::MutexLock lock(&impl_->write_mu);
    impl_->retention_floor_ms = std::max(impl_->retention_floor_ms, cut);
  }
  int64_t from = 0;
  std::string mark;
  rocksdb::Status got =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(kMeta), keys::kDownsampledBeforeKey, &mark);
  if (got.ok()) {
    if (mark.size() != 8) return absl::DataLossError("downsampling watermark is not 8 bytes");
    from = static_cast<int64_t>(keys::DecodeBe64(mark.data()));
  } else if (!got.IsNotFound()) {
    return FromRocks(got, "read downsampling watermark");
  }
  if (from >= cut) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> nodes = NodeIds();
  if (!nodes.ok()) return nodes.status();
  for (const std::string& node : *nodes) {
    std::string lower = keys::SnapshotTimeBound(node, from);
    std::string upper = keys::SnapshotTimeBound(node, cut);
    rocksdb::WriteBatch batch;
    // The range goes, then what is kept of it comes back (later in the batch: newer), as a
    // fresh chain of its own; the first chain value after it may build on what goes.
    batch.DeleteRange(impl_->cf(kSnapshots), lower, upper);
    if (absl::Status s = impl_->RewriteFirstChainValueFrom(node, upper, &batch); !s.ok()) {
      return s;
    }
    std::string base, value, pending_key, pending;
    uint64_t base_seq = 0, pending_seq = 0, read = 0;
    uint32_t length = 0;
    // Puts the last snapshot of a bucket, as the next value of a fresh chain.
    auto keep = [&]() {
      value.clear();
      bool delta = false;
      if (!base.empty() && length < impl_->chain_length && pending_seq > base_seq) {
        keys::AppendSnapshotValueHeader(&value, SnapshotValueKind::kChainNext,
                                        pending_seq - base_seq);
        delta = EncodeSnapshotDelta(base, pending, &value);
      }
      if (delta) {
        ++length;
      } else {
        value.clear();
        keys::AppendSnapshotValueHeader(&value, SnapshotValueKind::kChainStart);
        value.append(pending);
        length = 1;
      }
      batch.Put(impl_->cf(kSnapshots), pending_key, value);
      base.swap(pending);
      base_seq = pending_seq;
    };
    int64_t bucket = 0;
    absl::Status s =
        impl_->Read(node, lower, upper,
                    [&](absl::string_view key, absl::string_view bytes) -> absl::StatusOr<bool> {
                      absl::StatusOr<keys::SnapshotKeyParts> parts = keys::ParseSnapshotKey(key);
                      if (!parts.ok()) return parts.status();
                      int64_t b = parts->taken_unix_ms / step;
                      if (read++ > 0 && b != bucket) keep();
                      bucket = b;
                      pending_key.assign(key.data(), key.size());
                      pending.assign(bytes.data(), bytes.size());
                      pending_seq = parts->seq;
                      return true;
                    });
    if (!s.ok()) return s;
    if (read == 0) continue;
    keep();
    s = FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "downsample");
    if (!s.ok()) return s;
  }
  std::string be;
  keys::AppendBe64(&be, static_cast<uint64_t>(cut));
  return FromRocks(
      impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(kMeta), keys::kDownsampledBeforeKey, be),
      "write downsampling watermark");
}

absl::StatusOr<absl::Time> Store::DownsampledBefore() const {
  std::string mark;
  rocksdb::Status got =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(kMeta), keys::kDownsampledBeforeKey, &mark);
  if (got.IsNotFound()) return absl::InfinitePast();
  if (!got.ok()) return FromRocks(got, "read downsampling watermark");
  if (mark.size() != 8) return absl::DataLossError("downsampling watermark is not 8 bytes");
  return absl::FromUnixMillis(static_cast<int64_t>(keys::DecodeBe64(mark.data())));
}

absl::Status Store::PutRecord(absl::string_view room, absl::string_view id,
                              absl::string_view value) {
  return FromRocks(
      impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(kMeta), keys::RoomRecordKey(room, id),
                     rocksdb::Slice(value.data(), value.size())),
      absl::StrCat("write ", room, " record"));
}

absl::Status Store::DeleteRecord(absl::string_view room, absl::string_view id) {
  return FromRocks(
      impl_->db->Delete(rocksdb::WriteOptions(), impl_->cf(kMeta), keys::RoomRecordKey(room, id)),
      absl::StrCat("delete ", room, " record"));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Store::Records(
    absl::string_view room) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string prefix = keys::RoomRecordKey(room, "");
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kMeta)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(it->key().ToString().substr(prefix.size()), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status(), room);
  return out;
}

absl::Status Store::Compact() {
  rocksdb::Status s = impl_->db->Flush(rocksdb::FlushOptions(), impl_->cfs);
  if (!s.ok()) return FromRocks(s, "flush");
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(impl_->db->CompactRange(options, impl_->cf(kSnapshots), nullptr, nullptr),
                   "compact");
}

absl::Status Store::Resume() { return FromRocks(impl_->db->Resume(), "resume"); }

StoreFigures Store::Figures() const {
  StoreFigures f;
  rocksdb::DB& db = *impl_->db;
  db.GetIntProperty(impl_->cf(kSnapshots), "rocksdb.total-sst-files-size", &f.snapshots_sst_bytes);
  db.GetIntProperty(impl_->cf(kSnapshots), "rocksdb.estimate-num-keys",
                    &f.snapshots_estimated_keys);
  for (rocksdb::ColumnFamilyHandle* cf : impl_->cfs) {
    uint64_t v = 0;
    if (db.GetIntProperty(cf, "rocksdb.total-sst-files-size", &v)) f.total_sst_bytes += v;
    if (db.GetIntProperty(cf, "rocksdb.cur-size-all-mem-tables", &v)) f.memtable_bytes += v;
    if (db.GetIntProperty(cf, "rocksdb.estimate-pending-compaction-bytes", &v)) {
      f.pending_compaction_bytes += v;
    }
    if (db.GetIntProperty(cf, "rocksdb.total-blob-file-size", &v)) f.blob_bytes += v;
  }
  return f;
}

}  // namespace guts::collector
