#include "sim/consensus_model.h"

namespace guts::sim {
namespace {

// Blocks a node keeps in memory (the rest "lives on disk"); a peer further behind than this
// restarts from the oldest retained block (state sync).
constexpr size_t kRetainedBlocks = 2048;
// Blocks sent in answer to one sync request; the requester asks again on the next heartbeat.
constexpr uint64_t kSyncBatch = 32;

}  // namespace

Replica::Replica(const ValidatorSet* validators, uint32_t me, ConsensusTiming timing,
                 Effects effects)
    : validators_(validators), me_(me), timing_(timing), effects_(std::move(effects)) {
  chain_.push_back(GenesisBlock());
}

void Replica::Start(absl::Time now) { EnterView(view_ + 1, now); }

WireMessage Replica::Message(MessageType type) const {
  WireMessage m;
  m.type = type;
  m.from = me_;
  m.view = view_;
  m.height = height();
  return m;
}

WireMessage Replica::Heartbeat() const {
  WireMessage m = Message(MessageType::kHeartbeat);
  m.block = tip();
  return m;
}

std::vector<BlockHeader> Replica::LastBlocks(size_t n) const {
  std::vector<BlockHeader> out;
  for (auto it = chain_.rbegin(); it != chain_.rend() && out.size() < n; ++it) {
    if (it->height == 0) break;
    out.push_back(*it);
  }
  return out;
}

const BlockHeader* Replica::At(uint64_t height) const {
  uint64_t base = chain_.front().height;
  if (height < base || height > tip().height) return nullptr;
  return &chain_[height - base];
}

void Replica::Broadcast(const WireMessage& m) {
  for (uint32_t i = 0; i < validators_->size(); ++i) {
    if (i != me_) effects_.send(i, m);
  }
}

void Replica::EnterView(uint64_t view, absl::Time now) {
  view_ = view;
  phase_ = Phase::kInView;
  phase_since_ = now;
  proposal_.reset();
  votes_.clear();
  certified_ = false;
  nullify_sent_ = absl::InfinitePast();
  entered_by_nullification_.reset();
  nullifies_.erase(nullifies_.begin(), nullifies_.lower_bound(view));
  if (is_leader()) Propose(now);
}

void Replica::Propose(absl::Time now) {
  // A leader that knows it is behind, or whose application is stuck, proposes nothing and
  // lets the view time out. One whose proposals are withheld builds the block but fails to
  // hand it over (the real node logs `proposed new block` with success false).
  if (halted_ || speed_ < 1.0 || Behind(now)) return;
  BlockHeader b = NextBlock(tip(), view_, me_, now, "");
  if (effects_.proposed) effects_.proposed(view_, b, !withhold_);
  if (withhold_) return;
  proposal_ = b;
  votes_[me_] = validators_->weight(me_);
  WireMessage m = Message(MessageType::kPropose);
  m.block = b;
  Broadcast(m);
  OnVote(Message(MessageType::kVote), now);  // Counts a lone leader holding the quorum weight.
}

void Replica::OnTick(absl::Time now) {
  if (halted_) {
    phase_since_ = now;  // An application halt freezes the view: no timer runs.
    return;
  }
  if (phase_ == Phase::kPacing) {
    if (now - phase_since_ >= timing_.block_time) EnterView(view_ + 1, now);
    return;
  }
  absl::Duration limit = proposal_ ? timing_.notarization_timeout : timing_.leader_timeout;
  if (now - phase_since_ < limit) return;
  if (now - nullify_sent_ >= timing_.nullify_retry) SendNullify(now);
}

void Replica::SendNullify(absl::Time now) {
  nullify_sent_ = now;
  if (nullify_to_next_leaders_) {
    for (uint64_t v : {view_ + 1, view_ + 2}) {
      uint32_t leader = validators_->LeaderOf(v);
      if (leader != me_) effects_.send(leader, Message(MessageType::kNullify));
    }
  } else {
    Broadcast(Message(MessageType::kNullify));
  }
  WireMessage own = Message(MessageType::kNullify);
  own.from = me_;
  OnNullify(own, now);
}

void Replica::OnNullify(const WireMessage& m, absl::Time now) {
  if (halted_ || m.view < view_) return;
  auto& voters = nullifies_[m.view];
  voters[m.from] = validators_->weight(m.from);
  uint64_t weight = 0;
  for (const auto& [voter, w] : voters) weight += w;
  if (weight < validators_->quorum_weight()) return;
  EnterView(m.view + 1, now);
  entered_by_nullification_ = m.view;
  WireMessage proof = Message(MessageType::kNullification);
  proof.view = m.view;
  Broadcast(proof);
}

void Replica::OnNullification(const WireMessage& m, absl::Time now) {
  if (halted_ || m.view < view_) return;
  EnterView(m.view + 1, now);
  entered_by_nullification_ = m.view;
}

void Replica::OnMessage(const WireMessage& m, absl::Time now) {
  if (m.from >= validators_->size() || m.from == me_) return;
  switch (m.type) {
    case MessageType::kHeartbeat:
      return OnHeartbeat(m, now);
    case MessageType::kPropose:
      return OnProposal(m, now);
    case MessageType::kVote:
      return OnVote(m, now);
    case MessageType::kCertificate:
      return OnCertificate(m, now);
    case MessageType::kSyncRequest:
      return OnSyncRequest(m);
    case MessageType::kSyncBlock:
      return OnSyncBlock(m, now);
    case MessageType::kNullify:
      return OnNullify(m, now);
    case MessageType::kNullification:
      return OnNullification(m, now);
  }
}

void Replica::OnHeartbeat(const WireMessage& m, absl::Time now) {
  if (m.height > height()) {
    last_seen_ahead_ = now;
    if (now - last_sync_request_ >= timing_.heartbeat / 2) {
      last_sync_request_ = now;
      WireMessage req = Message(MessageType::kSyncRequest);
      req.height = height() + 1;
      effects_.send(m.from, req);
    }
  }
  // A peer still in the view we left by nullification (its votes or our proof were lost
  // during a partition) gets the proof again.
  if (m.view < view_ && entered_by_nullification_ && m.view <= *entered_by_nullification_) {
    WireMessage proof = Message(MessageType::kNullification);
    proof.view = *entered_by_nullification_;
    effects_.send(m.from, proof);
  }
}

void Replica::OnProposal(const WireMessage& m, absl::Time now) {
  if (halted_ || m.view < view_ || validators_->LeaderOf(m.view) != m.from) return;
  if (m.view > view_) EnterView(m.view, now);
  if (proposal_) return;
  const BlockHeader& b = m.block;
  if (b.height > height() + 1) {
    last_seen_ahead_ = now;
    return;  // Behind: heartbeats will trigger a sync; no vote for a block we cannot check.
  }
  if (b.height != height() + 1) return;
  if (b.parent != tip().id) {
    ReportConflict(b);
    return;
  }
  proposal_ = b;
  if (speed_ < 1.0) return;  // A lagging node has not executed the parent yet: no vote.
  WireMessage vote = Message(MessageType::kVote);
  vote.block = b;
  effects_.send(m.from, vote);
}

void Replica::OnVote(const WireMessage& m, absl::Time now) {
  if (!is_leader() || !proposal_ || certified_ || m.view != view_) return;
  if (m.from != me_ && m.block.id != proposal_->id) return;
  votes_[m.from] = validators_->weight(m.from);
  uint64_t weight = 0;
  for (const auto& [voter, w] : votes_) weight += w;
  if (weight < validators_->quorum_weight()) return;
  certified_ = true;
  BlockHeader b = *proposal_;
  b.signature_count = static_cast<uint32_t>(votes_.size());
  WireMessage cert = Message(MessageType::kCertificate);
  cert.block = b;
  Broadcast(cert);
  Finalize(b, now);
}

void Replica::OnCertificate(const WireMessage& m, absl::Time now) {
  if (halted_ || speed_ < 1.0) return;
  if (m.block.height > height() + 1) {
    last_seen_ahead_ = now;
    return;
  }
  if (Extend(m.block, now) && m.block.view >= view_) {
    // A certificate proves its view completed: skip to it, then pace to the next one.
    if (m.block.view > view_) EnterView(m.block.view, now);
    phase_ = Phase::kPacing;
    phase_since_ = now;
  }
}

void Replica::Finalize(const BlockHeader& b, absl::Time now) {
  if (!Extend(b, now)) return;
  phase_ = Phase::kPacing;
  phase_since_ = now;
}

bool Replica::Extend(const BlockHeader& b, absl::Time now) {
  (void)now;
  if (b.height <= height()) {
    const BlockHeader* mine = At(b.height);
    if (mine != nullptr && mine->id != b.id) ReportConflict(b);
    return false;
  }
  if (b.height == height() + 1 && b.parent != tip().id) {
    ReportConflict(b);
    return false;
  }
  if (b.height != height() + 1) {
    // Further behind than any peer retains: restart from the block offered (state sync).
    chain_.clear();
  }
  chain_.push_back(b);
  while (chain_.size() > kRetainedBlocks) chain_.pop_front();
  effects_.finalized(b);
  return true;
}

void Replica::ReportConflict(const BlockHeader& theirs) {
  // Once per height: a peer that keeps offering the same conflicting chain is one finding.
  if (theirs.height == last_conflict_height_) return;
  last_conflict_height_ = theirs.height;
  effects_.conflict(theirs.height, theirs);
}

void Replica::OnSyncRequest(const WireMessage& m) {
  uint64_t from = std::max(m.height, chain_.front().height + 1);
  for (uint64_t h = from; h <= height() && h < from + kSyncBatch; ++h) {
    WireMessage reply = Message(MessageType::kSyncBlock);
    reply.block = *At(h);
    effects_.send(m.from, reply);
  }
}

void Replica::OnSyncBlock(const WireMessage& m, absl::Time now) {
  if (halted_) return;
  if (speed_ < 1.0) {
    // A lagging node applies one block per (block time / speed).
    if (now - last_slow_apply_ < timing_.block_time / speed_) return;
    if (m.block.height != height() + 1) return;
    if (Extend(m.block, now)) last_slow_apply_ = now;
    return;
  }
  // A first block above height + 1 means the peer no longer retains what we miss.
  if (Extend(m.block, now) && m.block.view >= view_) {
    // Blocks finalized in later views prove those views completed.
    EnterView(m.block.view, now);
    phase_ = Phase::kPacing;
    phase_since_ = now;
  }
}

uint64_t Replica::Fork(const std::string& salt, absl::Time now) {
  BlockHeader b = NextBlock(tip(), view_, validators_->LeaderOf(view_), now, salt);
  b.signature_count = 1;
  chain_.push_back(b);
  effects_.finalized(b);
  phase_ = Phase::kPacing;
  phase_since_ = now;
  return b.height;
}

void Replica::RollbackTo(uint64_t height) {
  while (chain_.size() > 1 && tip().height > height) chain_.pop_back();
  proposal_.reset();
  last_conflict_height_ = 0;
}

}  // namespace guts::sim
