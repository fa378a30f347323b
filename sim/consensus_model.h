// One validator's view of Simplex-style consensus, driven only by the messages that actually
// arrive over its TCP connections and by its own clock.
//
// The model: the leader of view v (round-robin) proposes a child of its tip; validators whose
// tip is that parent vote to the leader; when the votes that reached the leader hold the
// quorum weight, the leader sends a certificate and every receiver finalizes the block. After
// a block, validators wait the block time, then enter the next view. No proposal within the
// leader timeout, or no certificate within the notarization timeout, makes a validator send
// a nullify vote for the view (again every nullify retry); nullify votes of the quorum weight
// raise the view without raising the height. So views climb while a connected network fails
// to produce blocks, and stay put in a group without the quorum weight. A validator adopts a
// higher view from its leader's proposal or a certificate. Heartbeats carry (view, height,
// tip): a validator asks a peer that is ahead for the blocks it misses (sync).
//
// Faults the model itself carries: halted (application halt: no proposals, no timeouts, views
// steady), proposals withheld (leaders fail to propose: views climb), speed < 1 (a lagging
// node that only applies blocks through sync, at `speed` times the network's pace), forks
// (a forged block at the next height) and rollbacks (the heal of a fork).
//
// Example:
//   Replica r(&validators, /*me=*/0, timing, effects);
//   r.Start(absl::Now());
//   r.OnMessage(msg, absl::Now());   // For every message that arrives.
//   r.OnTick(absl::Now());           // Often (every few tens of milliseconds).
//
// Thread-compatible; effects are called synchronously from these methods.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "sim/block.h"
#include "sim/validator_set.h"
#include "sim/wire_message.h"

namespace guts::sim {

struct ConsensusTiming {
  absl::Duration block_time = absl::Seconds(1);
  absl::Duration leader_timeout = absl::Seconds(1);
  absl::Duration notarization_timeout = absl::Seconds(2);
  absl::Duration nullify_retry = absl::Seconds(10);
  absl::Duration heartbeat = absl::Milliseconds(500);
};

class Replica {
 public:
  struct Effects {
    // Sends to one peer (validator index). The transport may lose it.
    std::function<void(uint32_t to, const WireMessage&)> send;
    // A block became final on this node (by certificate, by sync, or forged by a fork).
    std::function<void(const BlockHeader&)> finalized;
    // A peer offered a block that conflicts with this node's chain at `height`.
    std::function<void(uint64_t height, const BlockHeader& theirs)> conflict;
    // This node led `view` and built `b`; `success` false when the proposal could not be
    // handed to the engine (proposals withheld: the view times out). Optional.
    std::function<void(uint64_t view, const BlockHeader& b, bool success)> proposed;
  };

  Replica(const ValidatorSet* validators, uint32_t me, ConsensusTiming timing, Effects effects);

  void Start(absl::Time now);
  void OnMessage(const WireMessage& m, absl::Time now);
  void OnTick(absl::Time now);

  // What this node broadcasts every heartbeat interval.
  WireMessage Heartbeat() const;

  uint64_t view() const { return view_; }
  uint64_t height() const { return tip().height; }
  const BlockHeader& tip() const { return chain_.back(); }
  uint32_t leader() const { return validators_->LeaderOf(view_); }
  bool is_leader() const { return leader() == me_; }
  // The last `n` finalized blocks, newest first (genesis excluded).
  std::vector<BlockHeader> LastBlocks(size_t n) const;

  // Light mode (relayed messages, see overlay.h): a nullify vote goes only to the leaders of
  // the next two views, which gather them and broadcast the nullification, instead of to
  // every validator: N messages a failed view instead of N^2, relayed over several hops each.
  // Two leaders, so that one dead node does not stop the views from climbing.
  void set_nullify_to_next_leaders(bool on) { nullify_to_next_leaders_ = on; }

  void set_halted(bool halted) { halted_ = halted; }
  void set_withhold_proposals(bool withhold) { withhold_ = withhold; }
  // 1.0 is normal; 0.5 finalizes at half the network's pace. REQUIRES: speed > 0.
  void set_speed(double speed) { speed_ = speed; }
  double speed() const { return speed_; }

  // Finalizes a forged child of the tip whose id depends on `salt` (two salts, two ids at one
  // height). Returns the height of the forged block.
  uint64_t Fork(const std::string& salt, absl::Time now);
  // Drops every block above `height` (to re-sync the canonical chain after a fork).
  void RollbackTo(uint64_t height);

 private:
  enum class Phase { kPacing, kInView };
  void EnterView(uint64_t view, absl::Time now);
  void Propose(absl::Time now);
  void Finalize(const BlockHeader& b, absl::Time now);
  void Broadcast(const WireMessage& m);
  void OnHeartbeat(const WireMessage& m, absl::Time now);
  void OnProposal(const WireMessage& m, absl::Time now);
  void OnVote(const WireMessage& m, absl::Time now);
  void OnCertificate(const WireMessage& m, absl::Time now);
  void OnSyncRequest(const WireMessage& m);
  void OnSyncBlock(const WireMessage& m, absl::Time now);
  void OnNullify(const WireMessage& m, absl::Time now);
  void OnNullification(const WireMessage& m, absl::Time now);
  void SendNullify(absl::Time now);
  // Applies `b` if it extends the tip; reports a conflict if it contradicts the chain.
  bool Extend(const BlockHeader& b, absl::Time now);
  void ReportConflict(const BlockHeader& theirs);
  const BlockHeader* At(uint64_t height) const;
  bool Behind(absl::Time now) const { return now - last_seen_ahead_ < 2 * timing_.heartbeat; }
  WireMessage Message(MessageType type) const;

  const ValidatorSet* validators_;
  uint32_t me_;
  ConsensusTiming timing_;
  Effects effects_;

  std::deque<BlockHeader> chain_;  // Retained suffix of the chain; front() may be past genesis.
  uint64_t view_ = 0;
  Phase phase_ = Phase::kPacing;
  absl::Time phase_since_;
  std::optional<BlockHeader> proposal_;  // This view's proposal, once seen.
  std::map<uint32_t, uint64_t> votes_;   // Leader only: voter -> weight, for proposal_.
  bool certified_ = false;
  absl::Time nullify_sent_ = absl::InfinitePast();  // In this view; InfinitePast: not yet.
  std::map<uint64_t, std::map<uint32_t, uint64_t>> nullifies_;  // view -> voter -> weight.
  // The view whose nullification led into the current view, to show peers still in it.
  std::optional<uint64_t> entered_by_nullification_;

  absl::Time last_seen_ahead_ = absl::InfinitePast();
  absl::Time last_sync_request_ = absl::InfinitePast();
  absl::Time last_slow_apply_ = absl::InfinitePast();
  uint64_t last_conflict_height_ = 0;

  bool nullify_to_next_leaders_ = false;
  bool halted_ = false;
  bool withhold_ = false;
  double speed_ = 1.0;
};

}  // namespace guts::sim
