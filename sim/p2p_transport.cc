#include "sim/p2p_transport.h"

#include <netinet/in.h>

#include <array>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace guts::sim {
namespace {

// While the kernel's send buffer is full (a silently cut link) we queue at most this much.
constexpr size_t kMaxQueuedBytes = 64 * 1024;

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

}  // namespace

struct PeerLinks::Outbound {
  Outbound(asio::io_context& io, uint32_t peer, asio::ip::tcp::endpoint endpoint)
      : peer(peer), endpoint(endpoint), socket(io), timer(io) {}
  uint32_t peer;
  asio::ip::tcp::endpoint endpoint;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  bool connected = false;
  bool writing = false;
  uint64_t generation = 0;  // Bumped on every (re)dial: stale callbacks check it.
  std::string queued;
  std::string in_flight;
  std::array<char, 256> sink;
};

struct PeerLinks::Inbound {
  explicit Inbound(asio::ip::tcp::socket s) : socket(std::move(s)) {
    std::error_code ec;
    asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
    if (!ec) remote_ip = remote.address().to_string();
  }
  asio::ip::tcp::socket socket;
  std::string remote_ip;
  std::string buffer;
  std::array<char, 8192> chunk;
};

PeerLinks::PeerLinks(asio::io_context& io, uint32_t me, Receive receive)
    : io_(io), me_(me), receive_(std::move(receive)) {}

PeerLinks::~PeerLinks() {
  Close();
  *alive_ = false;
}

absl::Status PeerLinks::Listen(const std::string& ip, int port) {
  try {
    asio::ip::tcp::endpoint ep(asio::ip::make_address(ip), static_cast<uint16_t>(port));
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(1024);
    port_ = acceptor->local_endpoint().port();
    acceptor_ = std::move(acceptor);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind P2P to ", ip, ":", port, ": ", e.what()));
  }
  ip_ = ip;
  Accept();
  return absl::OkStatus();
}

void PeerLinks::Accept() {
  if (!acceptor_) return;
  acceptor_->async_accept([this, alive = alive_](std::error_code ec, asio::ip::tcp::socket s) {
    if (!*alive || !acceptor_) return;
    if (ec) {
      // Out of file descriptors (EMFILE) or similar: retrying at once would spin the loop.
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer, alive](std::error_code) {
        if (*alive) Accept();
      });
      return;
    }
    auto in = std::make_shared<Inbound>(std::move(s));
    for (const auto& [peer, ip] : refused_) {
      if (ip == in->remote_ip) {
        std::error_code ignored;
        in->socket.close(ignored);  // The handshake fails: not an allowed peer.
        break;
      }
    }
    if (!in->socket.is_open()) return Accept();
    std::erase_if(inbound_, [](const auto& weak) { return weak.expired(); });
    inbound_.push_back(in);
    ReadInbound(in);
    Accept();
  });
}

void PeerLinks::ReadInbound(const std::shared_ptr<Inbound>& in) {
  in->socket.async_read_some(
      asio::buffer(in->chunk), [this, in, alive = alive_](std::error_code ec, size_t n) {
        if (!*alive) return;
        if (ec) {
          std::error_code ignored;
          in->socket.close(ignored);
          return;
        }
        in->buffer.append(in->chunk.data(), n);
        size_t offset = 0;
        while (in->buffer.size() - offset >= kFrameHeaderBytes) {
          const auto* p = reinterpret_cast<const uint8_t*>(in->buffer.data() + offset);
          uint32_t len = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) |
                         uint32_t{p[3]};
          if (len > kMaxBodyBytes) {
            std::error_code ignored;
            in->socket.close(ignored);  // Not one of ours: drop the session.
            return;
          }
          if (in->buffer.size() - offset < kFrameHeaderBytes + len) break;
          absl::StatusOr<WireMessage> m =
              DecodeBody(absl::string_view(in->buffer.data() + offset + kFrameHeaderBytes, len));
          offset += kFrameHeaderBytes + len;
          if (m.ok()) receive_(*m);
          if (!*alive || !in->socket.is_open()) return;  // The node was killed meanwhile.
        }
        in->buffer.erase(0, offset);
        ReadInbound(in);
      });
}

void PeerLinks::Dial(const std::map<uint32_t, asio::ip::tcp::endpoint>& peers,
                     absl::Duration redial) {
  redial_ = redial;
  for (const auto& [peer, endpoint] : peers) {
    if (peer == me_) continue;
    auto out = std::make_shared<Outbound>(io_, peer, endpoint);
    outbound_[peer] = out;
    StartDial(out);
  }
}

void PeerLinks::StartDial(const std::shared_ptr<Outbound>& out) {
  uint64_t generation = ++out->generation;
  if (refused_.count(out->peer) > 0) return;  // Not an allowed peer: never dialled.
  std::error_code ec;
  out->socket = asio::ip::tcp::socket(io_);
  out->socket.open(asio::ip::tcp::v4(), ec);
  if (!ec) {
    // Defer the source port choice to connect(): thousands of sockets share one address.
    int yes = 1;
    setsockopt(out->socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &yes, sizeof(yes));
    out->socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address(ip_), 0), ec);
  }
  if (ec) return ScheduleRedial(out);
  out->socket.async_connect(out->endpoint,
                            [this, out, generation, alive = alive_](std::error_code ec) {
                              if (!*alive || out->generation != generation) return;
                              if (ec) return ScheduleRedial(out);
                              out->connected = true;
                              out->socket.set_option(asio::ip::tcp::no_delay(true), ec);
                              WatchOutbound(out);
                              Flush(out);
                            });
}

void PeerLinks::ScheduleRedial(const std::shared_ptr<Outbound>& out) {
  std::error_code ignored;
  out->socket.close(ignored);
  out->connected = false;
  out->writing = false;
  out->queued.clear();
  uint64_t generation = out->generation;
  out->timer.expires_after(ToChrono(redial_));
  out->timer.async_wait([this, out, generation, alive = alive_](std::error_code ec) {
    if (!*alive || ec || out->generation != generation) return;
    StartDial(out);
  });
}

void PeerLinks::WatchOutbound(const std::shared_ptr<Outbound>& out) {
  // Nothing is ever sent to us on an outbound session; a read completes only on close/reset.
  uint64_t generation = out->generation;
  out->socket.async_read_some(asio::buffer(out->sink),
                              [this, out, generation, alive = alive_](std::error_code ec, size_t) {
                                if (!*alive || out->generation != generation) return;
                                if (ec) return ScheduleRedial(out);
                                WatchOutbound(out);
                              });
}

void PeerLinks::Send(uint32_t peer, const WireMessage& m) {
  auto it = outbound_.find(peer);
  if (it == outbound_.end()) return;
  Outbound& out = *it->second;
  if (!out.connected || out.queued.size() > kMaxQueuedBytes) return;
  out.queued += EncodeFrame(m);
  if (!out.writing) Flush(it->second);
}

void PeerLinks::Flush(const std::shared_ptr<Outbound>& out) {
  if (out->writing || out->queued.empty() || !out->connected) return;
  out->writing = true;
  out->in_flight.swap(out->queued);
  out->queued.clear();
  uint64_t generation = out->generation;
  asio::async_write(out->socket, asio::buffer(out->in_flight),
                    [this, out, generation, alive = alive_](std::error_code ec, size_t) {
                      if (!*alive || out->generation != generation) return;
                      out->writing = false;
                      out->in_flight.clear();
                      if (ec) return ScheduleRedial(out);
                      Flush(out);
                    });
}

void PeerLinks::Redial(uint32_t peer) {
  auto it = outbound_.find(peer);
  if (it == outbound_.end() || acceptor_ == nullptr) return;
  CloseOutbound(*it->second);
  StartDial(it->second);
}

void PeerLinks::CloseOutbound(Outbound& out) {
  ++out.generation;
  std::error_code ignored;
  out.socket.close(ignored);
  out.timer.cancel();
  out.connected = false;
  out.writing = false;
  out.queued.clear();
}

void PeerLinks::Refuse(uint32_t peer, const std::string& ip, bool refused) {
  if (!refused) {
    if (refused_.erase(peer) == 0) return;
    auto it = outbound_.find(peer);
    if (it != outbound_.end() && acceptor_ != nullptr && !it->second->connected) {
      StartDial(it->second);
    }
    return;
  }
  refused_[peer] = ip;
  for (auto& weak : inbound_) {
    auto in = weak.lock();
    if (in && in->remote_ip == ip) {
      std::error_code ignored;
      in->socket.close(ignored);
    }
  }
  auto it = outbound_.find(peer);
  if (it != outbound_.end()) CloseOutbound(*it->second);
}

int PeerLinks::established() const {
  int n = 0;
  for (const auto& [peer, out] : outbound_) n += out->connected ? 1 : 0;
  return n;
}

void PeerLinks::Close() {
  if (acceptor_) {
    std::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  for (auto& [peer, out] : outbound_) {
    ++out->generation;
    std::error_code ignored;
    out->timer.cancel();
    out->socket.close(ignored);
  }
  outbound_.clear();
  for (auto& weak : inbound_) {
    if (auto in = weak.lock()) {
      std::error_code ignored;
      in->socket.close(ignored);
    }
  }
  inbound_.clear();
}

}  // namespace guts::sim
