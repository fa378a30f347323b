#include "agent/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

namespace guts::agent {
namespace {

constexpr size_t kHeader = 16;  // length, crc, seq
constexpr size_t kRecentRecords = 32;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

uint32_t Crc(uint64_t seq, const char* payload, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(&seq), sizeof(seq));
  return static_cast<uint32_t>(
      crc32(crc, reinterpret_cast<const Bytef*>(payload), static_cast<uInt>(size)));
}

std::string Frame(uint64_t seq, const std::string& payload) {
  std::string frame(kHeader + payload.size(), '\0');
  uint32_t length = static_cast<uint32_t>(payload.size());
  uint32_t crc = Crc(seq, payload.data(), payload.size());
  std::memcpy(frame.data(), &length, 4);
  std::memcpy(frame.data() + 4, &crc, 4);
  std::memcpy(frame.data() + 8, &seq, 8);
  std::memcpy(frame.data() + kHeader, payload.data(), payload.size());
  return frame;
}

bool ReadWhole(const std::string& path, std::string& out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buffer[64 << 10];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(n));
  close(fd);
  return n == 0;
}

// Walks the frames of a segment; stops at the first frame that is short or fails its crc and
// returns the offset where the valid prefix ends.
template <typename Visit>
size_t ParseFrames(const std::string& data, Visit visit) {
  size_t offset = 0;
  while (data.size() - offset >= kHeader) {
    uint32_t length, crc;
    uint64_t seq;
    std::memcpy(&length, data.data() + offset, 4);
    std::memcpy(&crc, data.data() + offset + 4, 4);
    std::memcpy(&seq, data.data() + offset + 8, 8);
    if (data.size() - offset - kHeader < length) break;
    const char* payload = data.data() + offset + kHeader;
    if (Crc(seq, payload, length) != crc) break;
    visit(seq, absl::string_view(payload, length));
    offset += kHeader + length;
  }
  return offset;
}

void SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

Spool::Spool(std::string dir, uint64_t max_bytes, std::vector<std::string> names)
    : dir_(std::move(dir)),
      max_bytes_(max_bytes),
      // Eight or more segments per budget, so dropping one for space loses a small slice.
      segment_bytes_(std::clamp<uint64_t>(max_bytes / 8, 8 << 10, 1 << 20)),
      names_(std::move(names)),
      cursors_(names_.size()) {}

Spool::~Spool() {
  if (active_fd_ >= 0) {
    if (active_unsynced_) fdatasync(active_fd_);
    close(active_fd_);
  }
}

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir, uint64_t max_bytes,
                                                   std::vector<std::string> collectors) {
  if (max_bytes < (64u << 10)) {
    return absl::InvalidArgumentError(absl::StrCat("spool size ", max_bytes, " below 64 KiB"));
  }
  if (collectors.empty()) collectors.push_back("");
  for (size_t i = 0; i < collectors.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (collectors[i] == collectors[j]) {
        return absl::InvalidArgumentError(
            absl::StrCat("collector ", collectors[i], " is listed twice"));
      }
    }
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("create spool dir ", dir, ": ", error.message()));
  }
  std::unique_ptr<Spool> spool(new Spool(dir, max_bytes, std::move(collectors)));
  if (absl::Status s = spool->Load(); !s.ok()) return s;
  return spool;
}

absl::Status Spool::Load() {
  auto read_number = [&](const std::string& file, uint64_t& out) -> absl::Status {
    std::string text;
    if (ReadWhole(dir_ + "/" + file, text) &&
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &out)) {
      return absl::DataLossError(absl::StrCat(dir_, "/", file, ": not a number: '", text, "'"));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = read_number("acked", acked_); !s.ok()) return s;
  uint64_t highest = acked_;
  for (size_t i = 0; i < cursors_.size(); ++i) {
    Cursor& cursor = cursors_[i];
    cursor.acked = acked_;
    if (!names_[i].empty()) {
      if (absl::Status s = read_number(CursorFile(i), cursor.acked); !s.ok()) return s;
      cursor.acked = std::max(cursor.acked, acked_);
    }
    cursor.persisted = cursor.acked;
    highest = std::max(highest, cursor.acked);
  }
  std::vector<std::pair<uint64_t, std::string>> files;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return Errno("open spool dir", dir_);
  while (dirent* entry = readdir(d)) {
    absl::string_view name = entry->d_name;
    uint64_t first = 0;
    if (absl::ConsumePrefix(&name, "seg-") && absl::ConsumeSuffix(&name, ".log") &&
        absl::SimpleAtoi(name, &first)) {
      files.emplace_back(first, absl::StrCat(dir_, "/", entry->d_name));
    }
  }
  closedir(d);
  std::sort(files.begin(), files.end());

  std::string data;
  for (const auto& [first, path] : files) {
    if (!ReadWhole(path, data)) return Errno("read spool segment", path);
    Segment segment{.path = path, .first_seq = first};
    size_t valid = ParseFrames(data, [&](uint64_t seq, absl::string_view) {
      segment.last_seq = seq;
      ++segment.records;
    });
    if (valid < data.size()) {
      spdlog::warn("spool segment {}: corrupt or torn record at byte {}; cutting {} bytes off",
                   path, valid, data.size() - valid);
      if (truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
        return Errno("truncate spool segment", path);
      }
    }
    segment.bytes = valid;
    if (segment.records == 0 || segment.last_seq <= acked_) {
      unlink(path.c_str());
      continue;
    }
    highest = std::max(highest, segment.last_seq);
    segments_.push_back(segment);
  }
  next_seq_ = highest + 1;
  return absl::OkStatus();
}

uint64_t Spool::NextSeq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_;
}

std::string Spool::CursorFile(size_t collector) const {
  // The collector's address as a file name: anything but [A-Za-z0-9.-] becomes '_'.
  std::string name = "acked-" + names_[collector];
  for (size_t i = 6; i < name.size(); ++i) {
    char c = name[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') name[i] = '_';
  }
  return name;
}

void Spool::DropOldestLocked() {
  Segment oldest = segments_.front();
  segments_.pop_front();
  if (segments_.empty() && active_fd_ >= 0) {
    close(active_fd_);
    active_fd_ = -1;
  }
  unlink(oldest.path.c_str());
  // Each collector lost what it had not acked; the snapshot reports the worst of them (the
  // cursors are prefixes, so that is also how many records some collector never got).
  uint64_t lost = 0;
  for (Cursor& cursor : cursors_) {
    uint64_t lost_here = UnackedIn(oldest, cursor.acked);
    cursor.dropped += lost_here;
    lost = std::max(lost, lost_here);
  }
  dropped_since_take_ += lost;
  dropped_total_ += lost;
  while (!recent_.empty() && recent_.front().seq <= oldest.last_seq) recent_.pop_front();
  spdlog::warn("spool full ({} bytes max): dropped {} unacked snapshots, seq {}..{}", max_bytes_,
               lost, std::max(oldest.first_seq, acked_ + 1), oldest.last_seq);
}

uint64_t Spool::UnackedIn(const Segment& segment, uint64_t acked) {
  if (segment.last_seq <= acked) return 0;
  if (segment.first_seq > acked) return segment.records;
  return segment.last_seq - acked;  // seqs within a segment are consecutive
}

absl::Status Spool::Append(uint64_t seq, const std::string& payload) {
  std::string frame = Frame(seq, payload);
  std::lock_guard<std::mutex> lock(mu_);
  if (seq != next_seq_) {
    return absl::FailedPreconditionError(
        absl::StrCat("spool append seq ", seq, " but next is ", next_seq_));
  }
  if (frame.size() > segment_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot of ", frame.size(), " bytes exceeds the spool segment size ", segment_bytes_));
  }
  bool need_new =
      segments_.empty() || active_fd_ < 0 || segments_.back().bytes + frame.size() > segment_bytes_;
  uint64_t total = BytesLocked();
  while (!segments_.empty() && total + frame.size() > max_bytes_) {
    total -= segments_.front().bytes;
    DropOldestLocked();
    need_new = need_new || segments_.empty();
  }
  if (need_new) {
    if (active_fd_ >= 0) {
      if (active_unsynced_) fdatasync(active_fd_);
      close(active_fd_);
    }
    active_unsynced_ = false;
    std::string path = absl::StrFormat("%s/seg-%020d.log", dir_, seq);
    active_fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (active_fd_ < 0) return Errno("create spool segment", path);
    SyncDir(dir_);
    segments_.push_back(Segment{.path = path, .first_seq = seq});
  }
  Segment& segment = segments_.back();
  ssize_t written = write(active_fd_, frame.data(), frame.size());
  if (written != static_cast<ssize_t>(frame.size())) {
    absl::Status error =
        written < 0
            ? Errno("write spool segment", segment.path)
            : absl::InternalError(absl::StrCat("short write to spool segment ", segment.path));
    // Undo a partial frame so that the next append does not land after garbage.
    if (written > 0) {
      if (ftruncate(active_fd_, static_cast<off_t>(segment.bytes)) != 0) {
        close(active_fd_);
        active_fd_ = -1;
      }
    }
    return error;
  }
  // Everything before this record acked by every collector (the usual case, acks come back
  // within milliseconds): the collectors hold it, and this record is synced at the next append
  // if it is still unacked then. Otherwise (a collector is behind or away) sync now.
  if (acked_ + 1 >= seq) {
    active_unsynced_ = true;
  } else {
    fdatasync(active_fd_);
    active_unsynced_ = false;
  }
  segment.last_seq = seq;
  segment.records += 1;
  segment.bytes += frame.size();
  next_seq_ = seq + 1;
  recent_.push_back(SpoolRecord{.seq = seq, .payload = payload});
  if (recent_.size() > kRecentRecords) recent_.pop_front();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SpoolRecord>> Spool::ReadAfter(uint64_t after, size_t max_count) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SpoolRecord> out;
  after = std::max(after, acked_);
  if (!recent_.empty() && recent_.front().seq <= after + 1) {
    for (const SpoolRecord& record : recent_) {
      if (record.seq > after && out.size() < max_count) out.push_back(record);
    }
    return out;
  }
  std::string data;
  for (const Segment& segment : segments_) {
    if (segment.last_seq <= after) continue;
    if (!ReadWhole(segment.path, data)) return Errno("read spool segment", segment.path);
    ParseFrames(data, [&](uint64_t seq, absl::string_view payload) {
      if (seq > after && out.size() < max_count) {
        out.push_back(SpoolRecord{.seq = seq, .payload = std::string(payload)});
      }
    });
    if (out.size() >= max_count) break;
  }
  return out;
}

absl::Status Spool::WriteNumber(const std::string& file, uint64_t seq) {
  std::string tmp = absl::StrCat(dir_, "/", file, ".tmp");
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("write", tmp);
  std::string text = absl::StrCat(seq, "\n");
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fdatasync(fd) == 0;
  close(fd);
  if (!ok) return Errno("write", tmp);
  if (rename(tmp.c_str(), absl::StrCat(dir_, "/", file).c_str()) != 0) {
    return Errno("rename", tmp);
  }
  return absl::OkStatus();
}

absl::Status Spool::Ack(uint64_t seq) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (absl::Status s = Ack(i, seq); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Spool::Ack(size_t collector, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  Cursor& cursor = cursors_[collector];
  if (seq <= cursor.acked) return absl::OkStatus();
  bool beyond = seq >= next_seq_;
  // A named cursor is written when it runs ahead of every spooled seq (that keeps the seq
  // counter from going back) or when it enters a new segment (so that a restart resends a
  // collector at most about one segment it already has).
  if (!names_[collector].empty()) {
    bool entered_segment = beyond;
    for (const Segment& segment : segments_) {
      if (segment.first_seq > cursor.persisted && segment.first_seq <= seq) entered_segment = true;
    }
    if (entered_segment) {
      if (absl::Status s = WriteNumber(CursorFile(collector), seq); !s.ok()) return s;
      cursor.persisted = seq;
    }
  }
  cursor.acked = seq;
  next_seq_ = std::max(next_seq_, seq + 1);

  uint64_t floor = cursor.acked;
  for (const Cursor& other : cursors_) floor = std::min(floor, other.acked);
  if (floor <= acked_) return absl::OkStatus();
  // The floor only has to be on disk before a segment goes (or when it runs ahead of every
  // spooled seq). Between those moments a restart resends at most one segment the collectors
  // already have, and they drop them by seq.
  bool floor_beyond = beyond && floor == seq;
  bool retiring = segments_.size() > 1 && segments_.front().last_seq <= floor;
  if (floor_beyond || retiring) {
    if (absl::Status s = WriteNumber("acked", floor); !s.ok()) return s;
  }
  acked_ = floor;
  while (!segments_.empty() && segments_.front().last_seq <= acked_ &&
         (segments_.size() > 1 || floor_beyond)) {
    if (segments_.size() == 1 && active_fd_ >= 0) {
      close(active_fd_);
      active_fd_ = -1;
    }
    unlink(segments_.front().path.c_str());
    segments_.pop_front();
  }
  while (!recent_.empty() && recent_.front().seq <= acked_) recent_.pop_front();
  return absl::OkStatus();
}

uint64_t Spool::last_acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

uint64_t Spool::last_acked(size_t collector) const {
  std::lock_guard<std::mutex> lock(mu_);
  return cursors_[collector].acked;
}

uint64_t Spool::dropped_for(size_t collector) const {
  std::lock_guard<std::mutex> lock(mu_);
  return cursors_[collector].dropped;
}

uint64_t Spool::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const Segment& segment : segments_) n += UnackedIn(segment, acked_);
  return n;
}

uint64_t Spool::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return BytesLocked();
}

uint64_t Spool::BytesLocked() const {
  uint64_t n = 0;
  for (const Segment& segment : segments_) n += segment.bytes;
  return n;
}

uint64_t Spool::TakeDropped() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = dropped_since_take_;
  dropped_since_take_ = 0;
  return n;
}

uint64_t Spool::total_dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_total_;
}

}  // namespace guts::agent
