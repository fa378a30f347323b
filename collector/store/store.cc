#include "collector/store/store.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/store/keys.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
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

rocksdb::ColumnFamilyOptions SnapshotsOptions(const StoreOptions& options) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compression = rocksdb::kZSTD;
  cf.bottommost_compression = rocksdb::kZSTD;
  // Snapshots of one node differ little from one to the next: a shared dictionary and large
  // blocks let zstd find the repeats across snapshots.
  if (options.zstd_dict_bytes > 0) {
    cf.compression_opts.max_dict_bytes = options.zstd_dict_bytes;
    cf.compression_opts.zstd_max_train_bytes = options.zstd_dict_bytes * 100;
    cf.bottommost_compression_opts = cf.compression_opts;
    cf.bottommost_compression_opts.enabled = true;
  }
  cf.compression_opts.level = 6;
  cf.bottommost_compression_opts.level = 6;
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 64 * 1024;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = 64 << 20;
  return cf;
}

}  // namespace

struct Store::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;

  ~Impl() {
    for (rocksdb::ColumnFamilyHandle* cf : cfs) db->DestroyColumnFamilyHandle(cf);
  }

  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[c]; }

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
    descriptors.emplace_back(kCfNames[c], cf);
  }
  auto impl = std::make_unique<Impl>();
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
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

absl::Status Store::PutSnapshots(const std::vector<SnapshotRecord>& records) {
  rocksdb::WriteBatch batch;
  std::map<std::string, const SnapshotRecord*> newest;
  std::string bytes;
  for (const SnapshotRecord& r : records) {
    const Snapshot& s = r.snapshot;
    bytes.clear();
    s.SerializeToString(&bytes);
    batch.Put(impl_->cf(kSnapshots), keys::SnapshotKey(s.node_id(), s.taken_unix_ms(), s.seq()),
              bytes);
    const SnapshotRecord*& n = newest[s.node_id()];
    if (n == nullptr || n->snapshot.seq() < s.seq()) n = &r;
  }
  for (const auto& [node, r] : newest) {
    keys::LatestValue v{ToMs(r->received), ToMs(r->first_seen), r->snapshot.SerializeAsString()};
    batch.Put(impl_->cf(kLatest), keys::LatestSnapshotKey(node), keys::EncodeLatestValue(v));
  }
  return FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "write snapshots");
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
    Snapshot snapshot;
    if (!snapshot.ParseFromString(v->snapshot)) {
      return absl::DataLossError(absl::StrCat("unparsable latest snapshot of ", key->node));
    }
    node.snapshot = std::move(snapshot);
    node.received = FromMs(v->received_unix_ms);
    node.first_seen = FromMs(v->first_seen_unix_ms);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read latest");
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
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(kSnapshots)));
  Snapshot snapshot;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (!snapshot.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("unparsable snapshot of ", node_id));
    }
    if (!visit(snapshot)) break;
  }
  return FromRocks(it->status(), "read history");
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
  absl::StatusOr<std::vector<LatestNode>> nodes = LatestAll();
  if (!nodes.ok()) return nodes.status();
  rocksdb::WriteBatch batch;
  for (const LatestNode& n : *nodes) {
    batch.DeleteRange(impl_->cf(kSnapshots), keys::NodePrefix(n.node_id),
                      keys::SnapshotTimeBound(n.node_id, absl::ToUnixMillis(cutoff)));
  }
  return FromRocks(impl_->db->Write(rocksdb::WriteOptions(), &batch), "retention");
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
