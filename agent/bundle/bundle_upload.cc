#include "agent/bundle/bundle_upload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bundle_format/sha256.h"
#include "common/grpc_status.h"

namespace guts::bundle {
namespace v1 = ::guts::diag::v1;
namespace {

bool Retryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
      return true;
    case absl::StatusCode::kFailedPrecondition:
      // An offset mismatch resumes from the collector's offset; any other refusal is final.
      return absl::StrContains(s.message(), "resume there");
    default:
      return false;
  }
}

// One attempt: asks for the offset, then streams from it. Returns OK when complete.
absl::Status Attempt(v1::AgentService::StubInterface& stub, int fd, uint64_t size,
                     const std::string& sha256, const std::string& node_id,
                     const std::string& bundle_id, const v1::BundleSummary& summary,
                     const UploadOptions& options) {
  uint64_t offset = 0;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options.rpc_timeout));
    v1::BundleUploadOffsetRequest req;
    req.set_bundle_id(bundle_id);
    req.set_node_id(node_id);
    v1::UploadBundleResponse resp;
    if (grpc::Status s = stub.BundleUploadOffset(&ctx, req, &resp); !s.ok())
      return FromGrpcStatus(s);
    if (resp.complete()) return absl::OkStatus();
    offset = resp.stored_offset();
    if (offset > size) {
      return absl::FailedPreconditionError(
          absl::StrCat("collector holds ", offset, " bytes of a ", size, "-byte archive"));
    }
  }
  if (options.on_progress) options.on_progress(offset, size);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + options.rpc_timeout));
  v1::UploadBundleResponse resp;
  std::unique_ptr<grpc::ClientWriterInterface<v1::BundleChunk>> writer(
      stub.UploadBundle(&ctx, &resp));
  std::string buf(options.chunk_bytes, '\0');
  bool sent_last = false;
  while (!sent_last) {
    if (options.should_stop && options.should_stop()) {
      ctx.TryCancel();
      writer->Finish();
      return absl::CancelledError("upload stopped");
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(options.chunk_bytes, size - offset));
    ssize_t n = 0;
    while (want > 0 && (n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset))) < 0 &&
           errno == EINTR) {
    }
    if (n < 0 || static_cast<size_t>(n) != want) {
      ctx.TryCancel();
      writer->Finish();
      return absl::InternalError("archive read failed");
    }
    v1::BundleChunk chunk;
    chunk.set_bundle_id(bundle_id);
    chunk.set_node_id(node_id);
    chunk.set_offset(offset);
    chunk.set_data(buf.data(), want);
    if (offset + want == size) {
      chunk.set_last(true);
      chunk.set_total_size(size);
      chunk.set_sha256(sha256);
      *chunk.mutable_summary() = summary;
      sent_last = true;
    }
    if (!writer->Write(chunk)) break;  // the stream broke: Finish says why
    offset += want;
    if (options.on_progress) options.on_progress(offset, size);
  }
  writer->WritesDone();
  if (grpc::Status s = writer->Finish(); !s.ok()) return FromGrpcStatus(s);
  if (!resp.complete()) return absl::UnavailableError("upload stream ended before completion");
  return absl::OkStatus();
}

}  // namespace

absl::Status UploadBundleArchive(v1::AgentService::StubInterface& stub, const std::string& node_id,
                                 const std::string& bundle_id, const std::string& path,
                                 const v1::BundleSummary& summary, const UploadOptions& options) {
  absl::StatusOr<std::string> sha256 = Sha256OfFile(path);
  if (!sha256.ok()) return sha256.status();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  struct stat st {};
  ::fstat(fd, &st);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  absl::Duration backoff = options.backoff_initial;
  absl::Status last;
  for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
    last = Attempt(stub, fd, size, *sha256, node_id, bundle_id, summary, options);
    if (last.ok() || !Retryable(last)) break;
    if (options.should_stop && options.should_stop()) break;
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff = std::min(backoff * 2, options.backoff_max);
  }
  ::close(fd);
  return last;
}

}  // namespace guts::bundle
