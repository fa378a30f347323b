#include "tests/ctl/test_fleet_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace guts::ctl::testing {

class TestFleetService::Service final : public v1::FleetService::Service {
 public:
  explicit Service(FleetFixture fixture) : fixture_(std::move(fixture)) {}

  grpc::Status GetFleetStatus(grpc::ServerContext*, const v1::FleetStatusRequest*,
                              v1::FleetStatus* reply) override {
    *reply = fixture_.status;
    return grpc::Status::OK;
  }

  grpc::Status GetNode(grpc::ServerContext*, const v1::GetNodeRequest* request,
                       v1::NodeDetail* reply) override {
    auto it = fixture_.details.find(request->node_id());
    if (it == fixture_.details.end()) return UnknownNode(request->node_id());
    *reply = it->second;
    return grpc::Status::OK;
  }

  grpc::Status GetNodeHistory(grpc::ServerContext*, const v1::NodeHistoryRequest* request,
                              grpc::ServerWriter<v1::HistoryPoint>* writer) override {
    auto it = fixture_.history.find(request->node_id());
    if (it == fixture_.history.end()) return UnknownNode(request->node_id());
    for (const v1::HistoryPoint& point : it->second) writer->Write(point);
    return grpc::Status::OK;
  }

  grpc::Status GetTopology(grpc::ServerContext*, const v1::TopologyRequest*,
                           v1::Topology* reply) override {
    *reply = fixture_.topology;
    return grpc::Status::OK;
  }

  grpc::Status ListIncidents(grpc::ServerContext*, const v1::ListIncidentsRequest* request,
                             v1::IncidentList* reply) override {
    for (const v1::Incident& incident : fixture_.incidents.incidents()) {
      if (incident.state() == v1::RESOLVED && !request->include_resolved()) continue;
      *reply->add_incidents() = incident;
    }
    return grpc::Status::OK;
  }

  grpc::Status GetIncident(grpc::ServerContext*, const v1::GetIncidentRequest* request,
                           v1::Incident* reply) override {
    for (const v1::Incident& incident : fixture_.incidents.incidents()) {
      if (incident.id() == request->id()) {
        *reply = incident;
        return grpc::Status::OK;
      }
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("incident ", request->id()));
  }

  grpc::Status CollectBundle(grpc::ServerContext*, const v1::CollectBundleRequest* request,
                             grpc::ServerWriter<v1::CollectProgress>* writer) override {
    if (fixture_.deny_bundles) return Denied();
    std::vector<std::string> nodes(request->node_ids().begin(), request->node_ids().end());
    if (request->all()) {
      for (const auto& [node, outcome] : fixture_.collect_outcomes) nodes.push_back(node);
    }
    for (const std::string& node : nodes) {
      if (!fixture_.collect_outcomes.count(node)) return UnknownNode(node);
    }
    for (const std::string& node : nodes) {
      const v1::BundleInfo& outcome = fixture_.collect_outcomes.at(node);
      if (outcome.state() == v1::BUNDLE_COMPLETE) {
        v1::CollectProgress running;
        *running.mutable_bundle() = outcome;
        running.mutable_bundle()->set_state(v1::BUNDLE_RUNNING);
        running.set_sources_done(3);
        running.set_sources_total(7);
        running.set_message("collecting node_log");
        writer->Write(running);
      }
      v1::CollectProgress done;
      *done.mutable_bundle() = outcome;
      done.set_sources_done(outcome.state() == v1::BUNDLE_COMPLETE ? 7 : 0);
      done.set_sources_total(7);
      done.set_message(outcome.state() == v1::BUNDLE_PENDING ? "node offline; queued" : "done");
      writer->Write(done);
    }
    return grpc::Status::OK;
  }

  grpc::Status ListBundles(grpc::ServerContext*, const v1::ListBundlesRequest* request,
                           v1::BundleList* reply) override {
    if (fixture_.deny_bundles) return Denied();
    for (const v1::BundleInfo& info : fixture_.bundles.bundles()) {
      if (!request->node_id().empty() && info.node_id() != request->node_id()) continue;
      *reply->add_bundles() = info;
    }
    return grpc::Status::OK;
  }

  grpc::Status DownloadBundle(grpc::ServerContext*, const v1::DownloadBundleRequest* request,
                              grpc::ServerWriter<v1::BundleData>* writer) override {
    if (fixture_.deny_bundles) return Denied();
    auto archive = fixture_.archives.find(request->bundle_id());
    if (archive == fixture_.archives.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("bundle ", request->bundle_id()));
    }
    const v1::BundleInfo* info = nullptr;
    for (const v1::BundleInfo& stored : fixture_.bundles.bundles()) {
      if (stored.id() == request->bundle_id()) info = &stored;
    }
    constexpr size_t kChunk = 1024;
    const std::string& bytes = archive->second;
    for (size_t offset = request->offset(); offset < bytes.size(); offset += kChunk) {
      v1::BundleData data;
      data.set_offset(offset);
      data.set_data(bytes.substr(offset, kChunk));
      if (offset == request->offset() && info != nullptr) *data.mutable_info() = *info;
      writer->Write(data);
    }
    return grpc::Status::OK;
  }

 private:
  static grpc::Status UnknownNode(const std::string& node) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("unknown node ", node));
  }
  static grpc::Status Denied() {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "certificate CN=viewer-bot has the viewer role");
  }

  FleetFixture fixture_;
};

TestFleetService::TestFleetService(FleetFixture fixture)
    : service_(std::make_unique<Service>(std::move(fixture))) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

TestFleetService::~TestFleetService() {
  server_->Shutdown();
  server_->Wait();
}

}  // namespace guts::ctl::testing
