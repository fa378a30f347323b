// ApplySnapshotDelta against damaged and hostile input: deltas and bases truncated, bit-flipped,
// spliced and random, seeded and bounded (a few seconds). Each answer must be a clean DATA_LOSS
// or an output that the encoder turns back into a delta rebuilding it exactly; never a crash, a
// hang or an output out of proportion to the input. Run under ASan and UBSan too (README).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/store/snapshot_delta.h"
#include "tests/collector/store/realistic_run.h"

namespace guts::collector {
namespace {

using guts::diag::v1::Snapshot;

using testing::SnapshotBytes;

struct Pair {
  std::string base, current, delta;
};

// Consecutive snapshots of two realistic runs that encode as deltas.
std::vector<Pair> RealPairs() {
  std::vector<Pair> pairs;
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  for (int node = 1; node <= 2; ++node) {
    testing::RealisticRun run(absl::StrCat("v", node), node);
    std::string previous = SnapshotBytes(run.Next(1, start));
    for (uint64_t seq = 2; seq <= 40; ++seq) {
      std::string current = SnapshotBytes(run.Next(seq, start));
      Pair p{previous, current, {}};
      if (EncodeSnapshotDelta(p.base, p.current, &p.delta)) pairs.push_back(std::move(p));
      previous = std::move(current);
    }
  }
  return pairs;
}

class Hostile {
 public:
  explicit Hostile(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  std::string Random(size_t max_size) {
    std::string s(Below(max_size + 1), '\0');
    for (char& c : s) c = static_cast<char>(Below(256));
    return s;
  }

  std::string FlipBits(std::string s, int flips) {
    if (s.empty()) return s;
    for (int i = 0; i < flips; ++i) s[Below(s.size())] ^= static_cast<char>(1 << Below(8));
    return s;
  }

  std::string Truncate(const std::string& s) { return s.substr(0, Below(s.size() + 1)); }

  // A run of the input copied over another place, or bytes inserted or removed.
  std::string Splice(std::string s) {
    if (s.empty()) return Random(16);
    const size_t at = Below(s.size());
    switch (Below(3)) {
      case 0:
        return s.insert(at, Random(8));
      case 1:
        return s.erase(at, 1 + Below(8));
      default: {
        const size_t from = Below(s.size()), n = 1 + Below(16);
        return s.replace(at, n, s.substr(from, n));
      }
    }
  }

  std::string Mutate(const std::string& s) {
    switch (Below(4)) {
      case 0:
        return Truncate(s);
      case 1:
        return FlipBits(s, 1 + static_cast<int>(Below(3)));
      case 2:
        return Splice(s);
      default:
        return Splice(FlipBits(s, 1));
    }
  }

 private:
  std::mt19937_64 rng_;
};

// The verdict on one hostile input: a clean error, or an output the encoder rebuilds exactly.
void ExpectCleanAnswer(const std::string& base, const std::string& delta, const char* what) {
  absl::StatusOr<std::string> out = ApplySnapshotDelta(base, delta);
  if (!out.ok()) {
    ASSERT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << what << ": " << out.status();
    return;
  }
  // Every output byte comes from the base's structure or the delta's values: a varint can
  // grow to 10 bytes from 1, a length prefix to 5.
  ASSERT_LE(out->size(), 10 * (base.size() + delta.size()) + 16) << what;
  std::string again;
  ASSERT_TRUE(EncodeSnapshotDelta(base, *out, &again)) << what << ": output not re-encodable";
  absl::StatusOr<std::string> rebuilt = ApplySnapshotDelta(base, again);
  ASSERT_TRUE(rebuilt.ok()) << what << ": " << rebuilt.status();
  ASSERT_EQ(*rebuilt, *out) << what;
}

TEST(SnapshotDeltaHostileTest, EveryTruncationOfARealDeltaIsDataLoss) {
  std::vector<Pair> pairs = RealPairs();
  ASSERT_GE(pairs.size(), 30u);
  for (const Pair& p : pairs) {
    ASSERT_EQ(*ApplySnapshotDelta(p.base, p.delta), p.current);
    for (size_t n = 0; n < p.delta.size(); ++n) {
      EXPECT_EQ(ApplySnapshotDelta(p.base, p.delta.substr(0, n)).status().code(),
                absl::StatusCode::kDataLoss)
          << "delta cut to " << n << " of " << p.delta.size() << " bytes";
    }
  }
}

TEST(SnapshotDeltaHostileTest, DamagedDeltasAndBasesGiveACleanErrorOrAnExactRebuild) {
  const std::vector<Pair> pairs = RealPairs();
  ASSERT_FALSE(pairs.empty());
  Hostile hostile(20261205);
  const absl::Time start = absl::Now();
  int errors = 0, rebuilt = 0;
  for (int i = 0; i < 20000; ++i) {
    const Pair& p = pairs[hostile.Below(pairs.size())];
    const Pair& other = pairs[hostile.Below(pairs.size())];
    std::string base = p.base, delta = p.delta;
    switch (i % 6) {
      case 0:
        delta = hostile.Mutate(delta);
        break;
      case 1:
        base = hostile.Mutate(base);
        break;
      case 2:
        base = hostile.Mutate(base);
        delta = hostile.Mutate(delta);
        break;
      case 3:  // a delta written for another base
        base = other.base;
        break;
      case 4:  // random bytes, with and without a plausible bitmap length in front
        delta = hostile.Random(64);
        if (hostile.Below(2) == 0) delta.insert(0, 1, static_cast<char>(hostile.Below(40)));
        break;
      default:  // a random base
        base = hostile.Random(256);
        break;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectCleanAnswer(base, delta, "case"))
        << "iteration " << i << " (case " << i % 6 << ")";
    if (ApplySnapshotDelta(base, delta).ok()) {
      ++rebuilt;
    } else {
      ++errors;
    }
  }
  // Most damage is caught; the answers that decode are exact (checked above).
  EXPECT_GT(errors, 10000) << rebuilt << " decoded";
  EXPECT_LT(absl::Now() - start, absl::Seconds(20)) << "hostile deltas are slow to refuse";
}

TEST(SnapshotDeltaHostileTest, HugeLengthsAndDeepNestingAreRefusedWithoutAllocating) {
  const std::vector<Pair> pairs = RealPairs();
  ASSERT_FALSE(pairs.empty());
  const Pair& p = pairs[0];
  // A bitmap length of 2^63 and of 2^32: no fit, no allocation of that size.
  for (std::string length :
       {std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), std::string("\x80\x80\x80\x80\x10")}) {
    EXPECT_EQ(ApplySnapshotDelta(p.base, length + p.delta).status().code(),
              absl::StatusCode::kDataLoss);
  }
  // An over-long (11-byte) and a non-canonical varint in the delta.
  EXPECT_EQ(ApplySnapshotDelta(p.base, std::string(11, '\xff')).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ApplySnapshotDelta(p.base, std::string("\x80\x00", 2)).status().code(),
            absl::StatusCode::kDataLoss);
  // A base claiming a 2^62-byte field.
  std::string huge_field = std::string("\x0a") + "\x80\x80\x80\x80\x80\x80\x80\x80\x40";
  EXPECT_FALSE(ApplySnapshotDelta(huge_field, p.delta).ok());
  // A base nesting one length-delimited field inside another 10000 deep (unknown fields in a
  // message field are bytes, never recursed into without a descriptor).
  std::string nested;
  for (int i = 0; i < 10000; ++i) {
    std::string outer = "\x0a";
    size_t n = nested.size();
    do {
      outer.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
      n >>= 7;
    } while (n != 0);
    nested = outer + nested;
  }
  std::string delta = "\x01";
  delta.push_back('\0');
  ExpectCleanAnswer(nested, delta, "deep nesting");
}

}  // namespace
}  // namespace guts::collector
