#include <lb/health/probe.h>

#include <poll.h>

#include <cerrno>
#include <chrono>

#include <lb/health/escapes.h>

#include "fd.h"
#include "probe_base.h"
#include "probes.h"

namespace lb::health {

namespace detail {

std::string excerpt(std::string_view reply) {
  return fmt::format("\"{}\"", encode_escapes(reply, 60));
}

namespace {

// A check that cannot run as configured: its reason, at once.
class FailedProbe final : public ProbeBase {
 public:
  explicit FailedProbe(std::string why) : ProbeBase(0), why_(std::move(why)) {}
  Step start(uint64_t now_ms) override {
    begin(now_ms);
    return finish(Result::failure(why_), now_ms);
  }
  Step on_ready(uint32_t, uint64_t now_ms) override { return start(now_ms); }
  Step on_timeout(uint64_t now_ms) override { return start(now_ms); }

 private:
  std::string why_;
};

}  // namespace

}  // namespace detail

std::unique_ptr<Probe> make_probe(std::shared_ptr<const CompiledCheck> check,
                                  const Endpoint& endpoint, TlsClient* tls) {
  if (endpoint.tunnel_vip) {
    if (check->spec.type == CheckType::kTcp) {
      return detail::make_tunnel_tcp_probe(std::move(check), endpoint);
    }
    return std::make_unique<detail::FailedProbe>(
        "through_tunnel: only a tcp check can go through the tunnel");
  }
  switch (check->spec.type) {
    case CheckType::kTcp:
      return detail::make_tcp_probe(std::move(check), endpoint);
    case CheckType::kSendExpect:
      return detail::make_send_expect_probe(std::move(check), endpoint);
    case CheckType::kHttp:
      return detail::make_http_probe(std::move(check), endpoint, nullptr);
    case CheckType::kHttps:
      // A wiring bug in the caller must not become a crash on the health thread.
      if (tls == nullptr) {
        return std::make_unique<detail::FailedProbe>(
            "TLS: no TLS client context for an HTTPS check");
      }
      return detail::make_http_probe(std::move(check), endpoint, tls);
    case CheckType::kUdp:
      return detail::make_udp_probe(std::move(check), endpoint);
    case CheckType::kProgram:
      return detail::make_program_probe(std::move(check), endpoint);
  }
  return std::make_unique<detail::FailedProbe>(
      "unknown check type");  // unreachable: every type is handled above
}

uint64_t steady_now_ms() noexcept {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

Result run_probe(Probe& probe) {
  uint64_t now = steady_now_ms();
  Step step = probe.start(now);
  while (const Wait* w = std::get_if<Wait>(&step)) {
    const int timeout = w->deadline_ms > now ? static_cast<int>(w->deadline_ms - now) : 0;
    // EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP have poll()'s values.
    pollfd pfd{w->fd, static_cast<short>(w->events), 0};
    const int n = ::poll(&pfd, 1, timeout);
    now = steady_now_ms();
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      step = probe.on_ready(static_cast<uint32_t>(pfd.revents), now);
    } else if (now >= w->deadline_ms || n == 0) {
      step = probe.on_timeout(now);
    } else {
      return Result::failure(detail::sys_error("poll", errno));
    }
  }
  return std::get<Result>(step);
}

}  // namespace lb::health
