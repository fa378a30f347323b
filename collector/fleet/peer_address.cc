#include "collector/fleet/peer_address.h"

#include <utility>

namespace guts::collector {

namespace v1 = ::guts::diag::v1;

namespace {

// Layout of an address key: bits 0-15 the port, bit 16 set when there is a port, bits 17-48
// the IPv4 address.
constexpr int kIpShift = 17;
constexpr uint64_t kHasPort = uint64_t{1} << 16;

// Reads a decimal number without sign or leading zeros ("0" itself is fine), at most `max`,
// from `p` on; false when there is none.
bool ReadNumber(const char*& p, const char* end, uint32_t max, uint32_t& value) {
  const char* start = p;
  uint32_t v = 0;
  while (p != end && *p >= '0' && *p <= '9' && p - start < 6) v = v * 10 + (*p++ - '0');
  const long digits = p - start;
  if (digits == 0 || digits > 5 || (digits > 1 && *start == '0') || v > max) return false;
  value = v;
  return true;
}

// Reads "a.b.c.d" from `p` on.
bool ReadIp(const char*& p, const char* end, uint32_t& ip) {
  ip = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    uint32_t part = 0;
    if (!ReadNumber(p, end, 255, part)) return false;
    ip = (ip << 8) | part;
  }
  return true;
}

}  // namespace

std::optional<uint32_t> HostKey(std::string_view host) {
  const char* p = host.data();
  const char* end = p + host.size();
  uint32_t ip = 0;
  if (!ReadIp(p, end, ip) || p != end) return std::nullopt;
  return ip;
}

// One pass over the text: this runs for every PeerView the collector receives.
std::optional<uint64_t> AddressKey(std::string_view addr) {
  const char* p = addr.data();
  const char* end = p + addr.size();
  uint32_t ip = 0;
  if (!ReadIp(p, end, ip)) return std::nullopt;
  uint64_t key = uint64_t{ip} << kIpShift;
  if (p == end) return key;
  uint32_t port = 0;
  if (*p++ != ':' || !ReadNumber(p, end, 65535, port) || p != end) return std::nullopt;
  return key | kHasPort | port;
}

uint32_t KeyHost(uint64_t key) { return static_cast<uint32_t>(key >> kIpShift); }

namespace {

// The hashes of a list of keys (ReachableHash, SessionsHash) start from the list's length...
uint64_t HashStart(size_t count) { return 0x9e3779b97f4a7c15ULL ^ count; }

// ...and take each key through the splitmix64 finalizer (so keys one bit apart land far apart),
// folded in order with a multiply: a reordered, changed, added or dropped key changes the hash.
uint64_t HashAdd(uint64_t hash, uint64_t key) {
  uint64_t x = key + 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return (hash ^ x) * 0x100000001b3ULL + 0x2545f4914f6cdd1dULL;
}

}  // namespace

uint64_t ReachableHash(const std::vector<uint64_t>& keys) {
  uint64_t hash = HashStart(keys.size());
  for (uint64_t key : keys) hash = HashAdd(hash, key);
  return hash;
}

uint64_t SessionsHash(const std::vector<PeerSession>& sessions) {
  // Address keys use 49 bits: the direction goes in the top one.
  uint64_t hash = HashStart(sessions.size());
  for (const PeerSession& s : sessions) {
    hash = HashAdd(hash, s.remote | (s.inbound ? uint64_t{1} << 63 : 0));
  }
  return hash;
}

CompactPeers CompactPeersOf(const v1::Snapshot& snapshot) {
  CompactPeers compact;
  compact.seq = snapshot.seq();
  compact.sessions.reserve(snapshot.peers_size());
  for (const v1::PeerView& peer : snapshot.peers()) {
    std::optional<uint64_t> key = AddressKey(peer.remote_addr());
    if (!key) return CompactPeers{};
    compact.sessions.push_back({.remote = *key,
                                .last_data_recv_age_ms = peer.last_data_recv_age_ms(),
                                .inbound = peer.direction() == v1::PEER_DIRECTION_INBOUND});
  }
  for (const v1::ProbeResult& probe : snapshot.probes()) {
    if (!probe.reachable()) continue;
    std::optional<uint64_t> key = AddressKey(probe.addr());
    if (!key) return CompactPeers{};
    compact.reachable.push_back(*key);
  }
  compact.sessions_hash = SessionsHash(compact.sessions);
  compact.reachable_hash = ReachableHash(compact.reachable);
  compact.valid = true;
  return compact;
}

CompactPeers CompactPeersOf(std::shared_ptr<const v1::Snapshot> snapshot) {
  CompactPeers compact = CompactPeersOf(*snapshot);
  compact.source = std::move(snapshot);
  return compact;
}

bool PeersCurrent(const NodeObservation& obs) {
  return obs.latest_peers.valid && obs.latest != nullptr && obs.latest_peers.source == obs.latest;
}

}  // namespace guts::collector
