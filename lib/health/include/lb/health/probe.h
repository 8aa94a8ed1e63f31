// One check of one target as a non-blocking state machine over a file
// descriptor, so one thread can run thousands at once with epoll.
//
// A runner calls start(), then waits for what the returned Wait asks (the fd
// readable or writable, until the deadline) and calls on_ready() or
// on_timeout(); each returns the next Wait or the Result. The fd belongs to
// the probe and may change between steps (a program probe waits on its own
// epoll set); destroying a probe at any step closes everything it opened and
// kills and reaps a program it started. Probes never throw and never block:
// every failure, a socket() error included, is a Result.
//
// Not thread-safe: a probe lives on one thread (the Monitor's, or a test's).
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>

#include <lb/health/check.h>
#include <lb/health/result.h>
#include <lb/packet/addr.h>

namespace lb::health {

struct Wait {
  int fd = -1;
  uint32_t events = 0;  // EPOLLIN and/or EPOLLOUT (EPOLLERR and EPOLLHUP always count)
  uint64_t deadline_ms = 0;
};
using Step = std::variant<Wait, Result>;

class Probe {
 public:
  virtual ~Probe() = default;
  // Begins the check; its timeout runs from now_ms.
  virtual Step start(uint64_t now_ms) = 0;
  // The fd is ready (`events` as epoll reported them).
  virtual Step on_ready(uint32_t events, uint64_t now_ms) = 0;
  // The deadline passed. A program probe first kills its process group and
  // returns one more Wait while the process is reaped.
  virtual Step on_timeout(uint64_t now_ms) = 0;
};

// Where a probe goes: the address and port checked, and the source address
// to leave from.
struct Endpoint {
  packet::Ipv4Addr addr;
  uint16_t port = 0;
  std::optional<packet::Ipv4Addr> source;
  // through_tunnel: `addr` is the tunnel real server, this the VIP its SYN
  // goes to (inside IPIP); only TCP checks go through a tunnel.
  std::optional<packet::Ipv4Addr> tunnel_vip{};
};

class TlsClient;

// The probe for the check's type. `tls` is needed for kHttps only (a null
// one makes that probe fail with a reason, not crash).
std::unique_ptr<Probe> make_probe(std::shared_ptr<const CompiledCheck> check,
                                  const Endpoint& endpoint, TlsClient* tls);

// Runs one probe to its result on the calling thread with poll() and the
// steady clock: for tests and one-off checks, never on the Monitor's thread.
Result run_probe(Probe& probe);

// The steady clock in milliseconds, the time base of probes and the Monitor.
uint64_t steady_now_ms() noexcept;

}  // namespace lb::health
