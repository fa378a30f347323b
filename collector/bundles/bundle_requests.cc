#include "collector/bundles/bundle_requests.h"

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/node_id.h"

namespace guts::collector {
namespace v1 = ::guts::diag::v1;
namespace {

std::string NewBundleId(const std::string& node, absl::Time now) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex rng_mu;
  uint64_t r;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    r = rng();
  }
  return absl::StrCat(node, "-", absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), "-",
                      absl::Hex(r & 0xffffff, absl::kZeroPad6));
}

int64_t UnixMs(absl::Time t) { return absl::ToUnixMillis(t); }

v1::Command BundleCommand(const BundleRecord& record) {
  v1::Command cmd;
  cmd.set_id(record.info.id());
  *cmd.mutable_bundle() = record.request;
  return cmd;
}

v1::CollectProgress ProgressOf(const BundleRecord& record) {
  v1::CollectProgress p;
  *p.mutable_bundle() = record.info;
  p.set_sources_done(record.sources_done);
  p.set_sources_total(record.sources_total);
  p.set_message(record.message);
  return p;
}

}  // namespace

BundleRequests::BundleRequests(BundleCatalog* catalog, SendCommand send_command,
                               ListNodes list_nodes, BundleRequestOptions options)
    : catalog_(catalog),
      send_command_(std::move(send_command)),
      list_nodes_(std::move(list_nodes)),
      options_(options) {}

void BundleRequests::OnNodeConnected(const std::string& node_id) {
  const int64_t now_ms = UnixMs(absl::Now());
  const std::vector<BundleRecord> pending = catalog_->Matching([&](const BundleRecord& r) {
    return r.info.node_id() == node_id && r.info.state() == v1::BUNDLE_PENDING &&
           (r.info.expires_unix_ms() == 0 || r.info.expires_unix_ms() >= now_ms);
  });
  for (const BundleRecord& record : pending) {
    if (!send_command_(node_id, BundleCommand(record))) continue;
    catalog_->Update(record.info.id(), [](BundleRecord& r) {
      if (r.info.state() != v1::BUNDLE_PENDING) return false;
      r.info.set_state(v1::BUNDLE_RUNNING);
      r.message = "node reconnected; request sent";
      return true;
    });
  }
}

void BundleRequests::OnCommandStatus(const std::string& node_id, const v1::CommandStatus& status) {
  catalog_->Update(status.command_id(), [&](BundleRecord& r) {
    if (r.info.node_id() != node_id || BundleStateIsFinal(r.info.state())) return false;
    r.sources_done = status.sources_done();
    r.sources_total = status.sources_total();
    r.message = status.message();
    switch (status.state()) {
      case v1::CommandStatus::ACCEPTED:
      case v1::CommandStatus::RUNNING:
        if (r.info.state() == v1::BUNDLE_PENDING) r.info.set_state(v1::BUNDLE_RUNNING);
        break;
      case v1::CommandStatus::UPLOADING:
        r.info.set_state(v1::BUNDLE_UPLOADING);
        break;
      case v1::CommandStatus::FAILED:
      case v1::CommandStatus::REJECTED:
        r.info.set_state(v1::BUNDLE_FAILED);
        r.info.set_error(status.message().empty() ? "agent reported failure" : status.message());
        r.info.set_completed_unix_ms(UnixMs(absl::Now()));
        break;
      default:
        break;
    }
    return true;
  });
}

absl::Status BundleRequests::Collect(const v1::CollectBundleRequest& request,
                                     const std::string& requested_by,
                                     const std::function<bool(const v1::CollectProgress&)>& emit,
                                     const std::function<bool()>& cancelled) {
  std::vector<std::string> nodes(request.node_ids().begin(), request.node_ids().end());
  if (request.all() && list_nodes_) {
    for (const std::string& n : list_nodes_()) {
      if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
    }
  }
  if (nodes.empty()) return absl::InvalidArgumentError("no nodes to collect from");
  for (const std::string& n : nodes) {
    if (!guts::ValidNodeId(n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad node id \"", n.substr(0, 64), "\" (", guts::kNodeIdGrammar, ")"));
    }
  }
  const absl::Time now = absl::Now();
  const absl::Duration timeout = request.timeout_ms() > 0 ? absl::Milliseconds(request.timeout_ms())
                                                          : options_.default_timeout;
  const absl::Duration expiry = request.pending_expiry_ms() > 0
                                    ? absl::Milliseconds(request.pending_expiry_ms())
                                    : options_.pending_expiry;
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, v1::Command>> to_send;
  {
    std::lock_guard<std::mutex> admit(admit_mu_);
    size_t pending_total = 0;
    std::map<std::string, size_t> pending_by_node;
    for (const BundleRecord& r : catalog_->Matching(
             [](const BundleRecord& r) { return r.info.state() == v1::BUNDLE_PENDING; })) {
      ++pending_total;
      ++pending_by_node[r.info.node_id()];
    }
    for (const std::string& node : nodes) {
      BundleRecord record;
      const std::string id = NewBundleId(node, now);
      record.info.set_id(id);
      record.info.set_node_id(node);
      record.info.set_requested_unix_ms(UnixMs(now));
      record.info.set_requested_by(requested_by);
      record.info.set_expires_unix_ms(UnixMs(now + expiry));
      record.request.set_bundle_id(id);
      record.request.set_since_ms(request.since_ms());
      // The agent must finish building before the operator stops waiting: 3/4 of the wait.
      record.request.set_timeout_ms(
          static_cast<uint32_t>(absl::ToInt64Milliseconds(timeout) * 3 / 4));
      record.request.set_max_bytes(request.max_bytes());
      *record.request.mutable_sources() = request.sources();
      if (pending_total >= options_.max_pending_total ||
          pending_by_node[node] >= options_.max_pending_per_node) {
        record.info.set_state(v1::BUNDLE_FAILED);
        record.info.set_error("too many pending bundle requests for this node; retry later");
      } else {
        record.info.set_state(v1::BUNDLE_PENDING);
        record.message = "waiting for the node's stream";
        ++pending_total;
        ++pending_by_node[node];
        to_send.emplace_back(node, BundleCommand(record));
      }
      ids.push_back(id);
      catalog_->Add(std::move(record));
    }
  }
  for (const auto& [node, cmd] : to_send) {
    const bool sent = send_command_ && send_command_(node, cmd);
    catalog_->Update(cmd.id(), [sent](BundleRecord& r) {
      if (r.info.state() != v1::BUNDLE_PENDING) return false;
      if (sent) {
        r.info.set_state(v1::BUNDLE_RUNNING);
        r.message = "request sent to the agent";
      } else {
        r.message = absl::StrCat(
            "node offline: request queued until it reconnects (expires ",
            absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMillis(r.info.expires_unix_ms()),
                             absl::UTCTimeZone()),
            ")");
      }
      return true;
    });
  }

  std::map<std::string, uint64_t> emitted;
  std::map<std::string, bool> timed_out;
  const absl::Time deadline = now + timeout;
  while (true) {
    const uint64_t seen = catalog_->Changes();
    std::vector<v1::CollectProgress> out;
    bool all_settled = true;
    const bool past_deadline = absl::Now() >= deadline;
    for (const std::string& id : ids) {
      std::optional<BundleRecord> r = catalog_->Find(id);
      if (!r.has_value()) continue;
      const v1::BundleState s = r->info.state();
      const bool settled = BundleStateIsFinal(s) || s == v1::BUNDLE_PENDING;
      if (!settled && past_deadline && !timed_out[id]) {
        timed_out[id] = true;
        v1::CollectProgress p = ProgressOf(*r);
        p.set_message(absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                                   "; the bundle stays listed and may still complete"));
        out.push_back(std::move(p));
        emitted[id] = r->revision;
        continue;
      }
      if (!settled && !timed_out[id]) all_settled = false;
      if (emitted.count(id) == 0 || emitted[id] != r->revision) {
        emitted[id] = r->revision;
        if (!timed_out[id]) out.push_back(ProgressOf(*r));
      }
    }
    for (const v1::CollectProgress& p : out) {
      if (!emit(p)) return absl::CancelledError("client went away");
    }
    if (all_settled) return absl::OkStatus();
    if (cancelled && cancelled()) return absl::CancelledError("cancelled");
    catalog_->WaitForChange(seen, absl::Milliseconds(200));
  }
}

void BundleRequests::ExpirePending(absl::Time now) {
  const int64_t now_ms = UnixMs(now);
  auto expired = [now_ms](const BundleRecord& r) {
    return r.info.state() == v1::BUNDLE_PENDING && r.info.expires_unix_ms() != 0 &&
           r.info.expires_unix_ms() < now_ms;
  };
  for (const BundleRecord& record : catalog_->Matching(expired)) {
    catalog_->Update(record.info.id(), [&](BundleRecord& r) {
      if (!expired(r)) return false;
      r.info.set_state(v1::BUNDLE_EXPIRED);
      r.info.set_error("node did not reconnect before the request expired");
      r.message = r.info.error();
      return true;
    });
  }
}

}  // namespace guts::collector
