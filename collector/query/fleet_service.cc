#include "collector/query/fleet_service.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/auth/access_control.h"
#include "collector/query/fleet_status.h"
#include "collector/query/incident_page.h"
#include "collector/query/node_history.h"
#include "collector/query/peer_names.h"
#include "collector/store/keys.h"
#include "common/grpc_status.h"

namespace guts::collector {
namespace {

using guts::diag::v1::Incident;

// Who runs a query, for the per-caller cap: the authenticated principal; without TLS (no
// identities, development only) the peer's connection.
std::string QueryCaller(const grpc::CallbackServerContext& context) {
  Caller caller = CallerOf(context);
  return caller.role.empty() ? context.peer() : caller.principal;
}

grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

// Streams a precomputed list of messages, one write at a time, then finishes.
template <typename Message>
class ListWriter : public grpc::ServerWriteReactor<Message> {
 public:
  explicit ListWriter(std::vector<Message> items) : items_(std::move(items)) { Next(); }
  ListWriter(grpc::Status status) { this->Finish(std::move(status)); }  // NOLINT: one-shot

  void OnWriteDone(bool ok) override {
    if (!ok) {
      this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (next_ == items_.size()) {
      this->Finish(grpc::Status::OK);
      return;
    }
    this->StartWrite(&items_[next_++]);
  }

  std::vector<Message> items_;
  size_t next_ = 0;
};

// Streams a node's history one page at a time: a query holds at most one page of points in
// memory, and a cancelled one frees it at once (OnDone).
class HistoryWriter : public grpc::ServerWriteReactor<guts::diag::v1::HistoryPoint> {
 public:
  // Bytes of points read from the store at a time.
  static constexpr size_t kPageBytes = 1 << 20;

  HistoryWriter(NodeHistoryReader reader, QueryAdmission::Slot slot)
      : reader_(std::move(reader)), slot_(std::move(slot)) {
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (next_ == page_.size()) {
      page_.clear();
      next_ = 0;
      absl::StatusOr<std::vector<guts::diag::v1::HistoryPoint>> page = reader_.NextPage(kPageBytes);
      if (!page.ok()) {
        Finish(ToGrpcStatus(page.status()));
        return;
      }
      if (page->empty()) {
        Finish(grpc::Status::OK);
        return;
      }
      page_ = *std::move(page);
    }
    StartWrite(&page_[next_++]);
  }

  NodeHistoryReader reader_;
  QueryAdmission::Slot slot_;  // held until gRPC is done with the call (OnDone)
  std::vector<guts::diag::v1::HistoryPoint> page_;
  size_t next_ = 0;
};

grpc::Status Unimplemented() {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "bundles are not served by this collector");
}

}  // namespace

FleetServiceImpl::FleetServiceImpl(const Store* store, const FleetState* fleet,
                                   const LatestAnalysis* analysis,
                                   std::function<guts::diag::v1::CollectorInfo()> collector_info,
                                   QueryLimits query_limits, QueryLimits bundle_limits)
    : store_(store),
      fleet_(fleet),
      analysis_(analysis),
      collector_info_(std::move(collector_info)),
      admission_(std::move(query_limits)),
      bundle_admission_(std::move(bundle_limits)) {}

guts::diag::v1::FleetStatus FleetServiceImpl::FleetStatusNow() const {
  std::shared_ptr<const AnalysisResult> analysis = analysis_->Latest();
  return BuildFleetStatus(fleet_->View(absl::Now(), /*with_samples=*/false), analysis.get(),
                          collector_info_(), analysis_->config().peer_heard_within);
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetFleetStatus(
    grpc::CallbackServerContext* context, const guts::diag::v1::FleetStatusRequest*,
    guts::diag::v1::FleetStatus* response) {
  absl::StatusOr<QueryAdmission::Slot> slot =
      admission_.Admit(QueryCaller(*context), "GetFleetStatus");
  if (!slot.ok()) return Done(context, ToGrpcStatus(slot.status()));
  *response = FleetStatusNow();
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetNode(grpc::CallbackServerContext* context,
                                                    const guts::diag::v1::GetNodeRequest* request,
                                                    guts::diag::v1::NodeDetail* response) {
  absl::StatusOr<QueryAdmission::Slot> slot = admission_.Admit(QueryCaller(*context), "GetNode");
  if (!slot.ok()) return Done(context, ToGrpcStatus(slot.status()));
  std::optional<NodeObservation> node = fleet_->Node(request->node_id());
  if (!node) {
    return Done(context, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                      absl::StrCat("no node \"", request->node_id().substr(0, 64),
                                                   "\" has ever reported")));
  }
  std::shared_ptr<const AnalysisResult> analysis = analysis_->Latest();
  const NodeAssessment* assessment = nullptr;
  if (analysis != nullptr) assessment = analysis->nodes.Find(node->node_id);
  *response->mutable_status() =
      MakeNodeStatus(*node, assessment, absl::Now(), analysis_->config().peer_heard_within);
  if (analysis != nullptr) {
    for (const auto& i : analysis->open_incidents) {
      if (std::find(i.nodes().begin(), i.nodes().end(), node->node_id) != i.nodes().end()) {
        response->mutable_status()->add_incident_ids(i.id());
      }
    }
  }
  if (node->latest != nullptr) *response->mutable_latest() = *node->latest;
  if (loss_) *response->mutable_loss() = loss_(node->node_id);
  if (node->latest != nullptr) {
    std::map<std::string, std::string> names = PeerNamesFor(
        *node->latest, fleet_->View(absl::Now(), /*with_samples=*/false), analysis.get());
    response->mutable_peer_names()->insert(names.begin(), names.end());
  }
  response->mutable_labels()->insert(HelloOf(*node).labels().begin(),
                                     HelloOf(*node).labels().end());
  if (node->first_seen != absl::InfinitePast()) {
    response->set_first_seen_unix_ms(absl::ToUnixMillis(node->first_seen));
  }
  if (node->last_received != absl::InfinitePast()) {
    response->set_received_unix_ms(absl::ToUnixMillis(node->last_received));
  }
  return Done(context, grpc::Status::OK);
}

grpc::ServerWriteReactor<guts::diag::v1::HistoryPoint>* FleetServiceImpl::GetNodeHistory(
    grpc::CallbackServerContext* context, const guts::diag::v1::NodeHistoryRequest* request) {
  using Writer = ListWriter<guts::diag::v1::HistoryPoint>;
  absl::StatusOr<QueryAdmission::Slot> slot =
      admission_.Admit(QueryCaller(*context), "GetNodeHistory");
  if (!slot.ok()) return new Writer(ToGrpcStatus(slot.status()));
  if (keys::ValidNodeId(request->node_id()) && !fleet_->Node(request->node_id())) {
    return new Writer(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat("no node \"", request->node_id(), "\" has ever reported")));
  }
  absl::StatusOr<NodeHistoryReader> reader =
      NodeHistoryReader::Start(store_, *request, analysis_->config().peer_heard_within);
  if (!reader.ok()) return new Writer(ToGrpcStatus(reader.status()));
  return new HistoryWriter(*std::move(reader), *std::move(slot));
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetTopology(grpc::CallbackServerContext* context,
                                                        const guts::diag::v1::TopologyRequest*,
                                                        guts::diag::v1::Topology* response) {
  absl::StatusOr<QueryAdmission::Slot> slot =
      admission_.Admit(QueryCaller(*context), "GetTopology");
  if (!slot.ok()) return Done(context, ToGrpcStatus(slot.status()));
  std::shared_ptr<const AnalysisResult> analysis = analysis_->Latest();
  if (analysis != nullptr) {
    *response = analysis->topology;
    return Done(context, grpc::Status::OK);
  }
  // No analysis yet: the node list alone, every node counted silent (no graph to show).
  for (const NodeObservation& n : fleet_->View(absl::Now(), false).nodes) {
    response->add_nodes(n.node_id);
    response->add_silent_nodes(n.node_id);
  }
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FleetServiceImpl::ListIncidents(
    grpc::CallbackServerContext* context, const guts::diag::v1::ListIncidentsRequest* request,
    guts::diag::v1::IncidentList* response) {
  absl::StatusOr<QueryAdmission::Slot> slot =
      admission_.Admit(QueryCaller(*context), "ListIncidents");
  if (!slot.ok()) return Done(context, ToGrpcStatus(slot.status()));
  absl::StatusOr<std::vector<Incident>> stored = store_->LoadIncidents();
  if (!stored.ok()) return Done(context, ToGrpcStatus(stored.status()));
  std::shared_ptr<const AnalysisResult> analysis = analysis_->Latest();
  std::map<std::string, Incident> by_id;
  for (Incident& i : *stored) {
    // Once the analysis runs, its open set is the truth for open incidents.
    bool open = i.state() == guts::diag::v1::OPEN;
    if (open && analysis != nullptr) continue;
    if (!open && !request->include_resolved()) continue;
    by_id[i.id()] = std::move(i);
  }
  if (analysis != nullptr) {
    for (const Incident& i : analysis->open_incidents) by_id[i.id()] = i;
  }
  std::vector<Incident> out;
  for (auto& [id, i] : by_id) {
    if (request->since_unix_ms() > 0 &&
        std::max(i.updated_unix_ms(), i.opened_unix_ms()) < request->since_unix_ms()) {
      continue;
    }
    out.push_back(std::move(i));
  }
  absl::StatusOr<guts::diag::v1::IncidentList> page = IncidentPage(std::move(out), *request);
  if (!page.ok()) return Done(context, ToGrpcStatus(page.status()));
  *response = *std::move(page);
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FleetServiceImpl::GetIncident(
    grpc::CallbackServerContext* context, const guts::diag::v1::GetIncidentRequest* request,
    Incident* response) {
  absl::StatusOr<QueryAdmission::Slot> slot =
      admission_.Admit(QueryCaller(*context), "GetIncident");
  if (!slot.ok()) return Done(context, ToGrpcStatus(slot.status()));
  std::shared_ptr<const AnalysisResult> analysis = analysis_->Latest();
  if (analysis != nullptr) {
    for (const Incident& i : analysis->open_incidents) {
      if (i.id() == request->id()) {
        *response = i;
        return Done(context, grpc::Status::OK);
      }
    }
  }
  absl::StatusOr<std::vector<Incident>> stored = store_->LoadIncidents();
  if (!stored.ok()) return Done(context, ToGrpcStatus(stored.status()));
  for (Incident& i : *stored) {
    if (i.id() == request->id()) {
      *response = std::move(i);
      return Done(context, grpc::Status::OK);
    }
  }
  return Done(context,
              grpc::Status(grpc::StatusCode::NOT_FOUND,
                           absl::StrCat("no incident \"", request->id().substr(0, 64), "\"")));
}

absl::StatusOr<BundleRpcs::CallSlot> FleetServiceImpl::AdmitBundleCall(
    const grpc::CallbackServerContext& context, absl::string_view rpc) {
  absl::StatusOr<QueryAdmission::Slot> slot = bundle_admission_.Admit(QueryCaller(context), rpc);
  if (!slot.ok()) return slot.status();
  return std::make_shared<QueryAdmission::Slot>(*std::move(slot));
}

grpc::ServerWriteReactor<guts::diag::v1::CollectProgress>* FleetServiceImpl::CollectBundle(
    grpc::CallbackServerContext* context, const guts::diag::v1::CollectBundleRequest* request) {
  using Writer = ListWriter<guts::diag::v1::CollectProgress>;
  if (bundles_ == nullptr) return new Writer(Unimplemented());
  absl::StatusOr<BundleRpcs::CallSlot> slot = AdmitBundleCall(*context, "CollectBundle");
  if (!slot.ok()) return new Writer(ToGrpcStatus(slot.status()));
  return bundles_->CollectBundle(context, request, *std::move(slot));
}

grpc::ServerUnaryReactor* FleetServiceImpl::ListBundles(
    grpc::CallbackServerContext* context, const guts::diag::v1::ListBundlesRequest* request,
    guts::diag::v1::BundleList* response) {
  if (bundles_ != nullptr) return bundles_->ListBundles(context, request, response);
  return Done(context, Unimplemented());
}

grpc::ServerWriteReactor<guts::diag::v1::BundleData>* FleetServiceImpl::DownloadBundle(
    grpc::CallbackServerContext* context, const guts::diag::v1::DownloadBundleRequest* request) {
  using Writer = ListWriter<guts::diag::v1::BundleData>;
  if (bundles_ == nullptr) return new Writer(Unimplemented());
  absl::StatusOr<BundleRpcs::CallSlot> slot = AdmitBundleCall(*context, "DownloadBundle");
  if (!slot.ok()) return new Writer(ToGrpcStatus(slot.status()));
  return bundles_->DownloadBundle(context, request, *std::move(slot));
}

}  // namespace guts::collector
