// TCP connect through the tunnel, for IPIP real servers (`through_tunnel`):
// the real server is checked as a client reaches it, a SYN to VIP:port
// inside an IPIP packet to the server's own address, as lbd's workers send
// client packets. A SYN-ACK from VIP:port (the server answers a client
// directly, not through lbd's tunnel) means up; an RST means refused.
//
// The kernel here may have no ipip module, and its TCP stack cannot open a
// connection through a tunnel anyway, so the probe speaks the handshake's
// first half on raw sockets: one of protocol 4 sends the inner packet (the
// kernel adds the outer header, from the bound source), one of TCP sees the
// replies. After the SYN-ACK it sends an RST through the tunnel so the
// server forgets the half-open connection; the kernel's own RST for the
// unknown SYN-ACK (sent to the VIP) is harmless.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include <lb/packet/builder.h>
#include <lb/packet/wire.h>

#include "fd.h"
#include "probe_base.h"
#include "probes.h"

namespace lb::health::detail {

namespace {

constexpr size_t kIpHeader = sizeof(packet::Ipv4Hdr), kTcpHeader = sizeof(packet::TcpHdr);

// An IPv4 + TCP segment without options or payload, checksums filled in:
// PacketBuilder's frame without its Ethernet header.
std::vector<uint8_t> segment(packet::Ipv4Addr src, packet::Ipv4Addr dst, uint16_t sport,
                             uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                             uint16_t id) {
  auto frame = packet::PacketBuilder()
                   .ipv4(src, dst)
                   .ip_id(id)
                   .ip_dont_fragment(true)  // as lbd's tunnel sets it
                   .tcp(sport, dport, flags, seq, ack, 64240)
                   .build();
  frame.erase(frame.begin(), frame.begin() + sizeof(packet::EthHdr));
  return frame;
}

class TunnelTcpProbe final : public ProbeBase {
 public:
  TunnelTcpProbe(const Endpoint& endpoint, uint32_t timeout_ms)
      : ProbeBase(timeout_ms), endpoint_(endpoint) {}

  Step start(uint64_t now_ms) override {
    begin(now_ms);
    if (!endpoint_.source) {
      return fail(
          "through the tunnel: no appliance address to leave from (a port with an "
          "exception path facing the server)",
          now_ms);
    }
    rx_.reset(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
    if (!rx_) return fail(sys_error("raw TCP socket", errno), now_ms);
    tx_.reset(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPIP));
    if (!tx_) return fail(sys_error("raw IPIP socket", errno), now_ms);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = endpoint_.source->be;
    if (::bind(tx_.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      return fail(sys_error("bind", errno), now_ms);
    }
    std::random_device random;
    sport_ = static_cast<uint16_t>(32768 + random() % 28232);
    seq_ = static_cast<uint32_t>(random());
    id_ = static_cast<uint16_t>(random());
    if (auto error = send(packet::kTcpSyn, seq_, 0); !error.empty()) return fail(error, now_ms);
    return wait(rx_.get(), EPOLLIN);
  }

  Step on_ready(uint32_t, uint64_t now_ms) override {
    std::array<uint8_t, 2048> buf;
    for (;;) {
      const ssize_t n = ::recv(rx_.get(), buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return wait(rx_.get(), EPOLLIN);
        if (errno == EINTR) continue;
        return fail(sys_error("recv", errno), now_ms);
      }
      if (auto result = reply({buf.data(), static_cast<size_t>(n)}, now_ms)) return *result;
    }
  }

  Step on_timeout(uint64_t now_ms) override {
    return timed_out("waiting for the SYN-ACK through the tunnel", now_ms);
  }

 private:
  Result fail(std::string why, uint64_t now_ms) const {
    return finish(Result::failure(std::move(why)), now_ms);
  }

  // "" or why the segment could not be sent.
  std::string send(uint8_t flags, uint32_t seq, uint32_t ack) {
    const auto inner = segment(*endpoint_.source, *endpoint_.tunnel_vip, sport_, endpoint_.port,
                               seq, ack, flags, id_++);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = endpoint_.addr.be;
    if (::sendto(tx_.get(), inner.data(), inner.size(), 0,
                 reinterpret_cast<const sockaddr*>(&server), sizeof server) < 0) {
      return sys_error("sendto (IPIP)", errno);
    }
    return {};
  }

  // The verdict when `packet` (an IPv4 packet the kernel received) answers
  // our SYN; nothing when it is someone else's.
  std::optional<Result> reply(std::span<const uint8_t> packet, uint64_t now_ms) {
    if (packet.size() < kIpHeader || (packet[0] >> 4) != 4) return std::nullopt;
    const size_t ihl = static_cast<size_t>(packet[0] & 0x0f) * 4;
    if (ihl < kIpHeader || packet.size() < ihl + kTcpHeader || packet[9] != IPPROTO_TCP) {
      return std::nullopt;
    }
    const auto* ip = reinterpret_cast<const packet::Ipv4Hdr*>(packet.data());
    const auto* tcp = reinterpret_cast<const packet::TcpHdr*>(packet.data() + ihl);
    if (ip->src != endpoint_.tunnel_vip->be || ip->dst != endpoint_.source->be ||
        packet::ntoh16(tcp->sport) != endpoint_.port || packet::ntoh16(tcp->dport) != sport_) {
      return std::nullopt;
    }
    if ((tcp->flags & packet::kTcpRst) != 0) {
      return fail(fmt::format("connect through the tunnel: refused (RST from {}:{})",
                              endpoint_.tunnel_vip->to_string(), endpoint_.port),
                  now_ms);
    }
    constexpr uint8_t kSynAck = packet::kTcpSyn | packet::kTcpAck;
    if ((tcp->flags & kSynAck) != kSynAck || packet::ntoh32(tcp->ack) != seq_ + 1) {
      return std::nullopt;
    }
    send(packet::kTcpRst, seq_ + 1, 0);  // best effort: the server's half-open connection
    return finish(Result::success(fmt::format("connected through the tunnel to {}:{}",
                                              endpoint_.tunnel_vip->to_string(), endpoint_.port)),
                  now_ms);
  }

  Endpoint endpoint_;
  Fd rx_, tx_;
  uint16_t sport_ = 0;
  uint32_t seq_ = 0;
  uint16_t id_ = 0;
};

}  // namespace

std::unique_ptr<Probe> make_tunnel_tcp_probe(CheckPtr check, const Endpoint& endpoint) {
  return std::make_unique<TunnelTcpProbe>(endpoint, check->spec.timeout_ms);
}

}  // namespace lb::health::detail
