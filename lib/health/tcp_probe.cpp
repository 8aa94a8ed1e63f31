// TCP connect: the server is up when the handshake completes (nanny with an
// empty send string, ldirectord checktype=connect, keepalived TCP_CHECK).
#include "probes.h"
#include "stream_probe.h"

namespace lb::health::detail {

namespace {

class TcpProbe final : public StreamProbe {
 public:
  TcpProbe(const Endpoint& endpoint, uint32_t timeout_ms)
      : StreamProbe(endpoint, timeout_ms, std::string()) {}

 private:
  std::optional<Result> on_connected() override { return Result::success("connected"); }
  std::optional<Result> on_data(std::string_view) override { return std::nullopt; }
  Result on_closed() override { return Result::success("connected"); }
};

}  // namespace

std::unique_ptr<Probe> make_tcp_probe(CheckPtr check, const Endpoint& endpoint) {
  return std::make_unique<TcpProbe>(endpoint, check->spec.timeout_ms);
}

}  // namespace lb::health::detail
