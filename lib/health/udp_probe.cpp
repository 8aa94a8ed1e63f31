// UDP send/expect (keepalived UDP_CHECK with require_reply, a DNS query):
// a connected UDP socket sends one datagram and waits for one back. Being
// connected, it also receives the ICMP port unreachable a closed port sends,
// as ECONNREFUSED: the check fails at once instead of at its timeout.
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "fd.h"
#include "net.h"
#include "probe_base.h"
#include "probes.h"

namespace lb::health::detail {

namespace {

constexpr size_t kMaxDatagram = 65536;

class UdpProbe final : public ProbeBase {
 public:
  UdpProbe(CheckPtr check, const Endpoint& endpoint)
      : ProbeBase(check->spec.timeout_ms), check_(std::move(check)), endpoint_(endpoint) {}

  Step start(uint64_t now_ms) override {
    begin(now_ms);
    Opened opened = open_socket(SOCK_DGRAM, endpoint_);
    if (!opened.fd) return finish(Result::failure(std::move(opened.error)), now_ms);
    fd_ = std::move(opened.fd);
    return send(now_ms);
  }

  Step on_ready(uint32_t, uint64_t now_ms) override {
    if (!sent_) return send(now_ms);
    std::array<char, kMaxDatagram> buf;
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return wait(fd_.get(), EPOLLIN);
      if (errno == ECONNREFUSED) {
        return finish(Result::failure("recv: Connection refused (ICMP port unreachable)"), now_ms);
      }
      return finish(Result::failure(sys_error("recv", errno)), now_ms);
    }
    const std::string_view reply(buf.data(), static_cast<size_t>(n));
    const Matcher& expect = check_->expect;
    if (expect.empty()) {
      return finish(Result::success(fmt::format("reply of {} bytes", reply.size())), now_ms);
    }
    const auto m = expect.match(reply);
    if (!m.error.empty()) return finish(Result::failure(m.error), now_ms);
    if (m.matched) {
      return finish(Result::success(fmt::format("reply matched {}", expect.describe())), now_ms);
    }
    return finish(Result::failure(fmt::format("reply did not match {}: got {}", expect.describe(),
                                              excerpt(reply))),
                  now_ms);
  }

  Step on_timeout(uint64_t now_ms) override {
    return timed_out(sent_ ? "waiting for a reply" : "while sending", now_ms);
  }

 private:
  Step send(uint64_t now_ms) {
    const std::string& payload = check_->spec.send;
    if (::send(fd_.get(), payload.data(), payload.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      if (errno == EAGAIN || errno == EINTR) return wait(fd_.get(), EPOLLOUT);
      return finish(Result::failure(sys_error("send", errno)), now_ms);
    }
    sent_ = true;
    return wait(fd_.get(), EPOLLIN);
  }

  CheckPtr check_;
  Endpoint endpoint_;
  Fd fd_;
  bool sent_ = false;
};

}  // namespace

std::unique_ptr<Probe> make_udp_probe(CheckPtr check, const Endpoint& endpoint) {
  return std::make_unique<UdpProbe>(std::move(check), endpoint);
}

}  // namespace lb::health::detail
