// Private to lib/health: the probes over a TCP connection (connect, TLS
// handshake, send a request, read the reply), one engine for the TCP,
// send/expect, HTTP and HTTPS checks. A subclass says what to send and
// judges what comes back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fd.h"
#include "probe_base.h"
#include "transport.h"

namespace lb::health::detail {

class StreamProbe : public ProbeBase {
 public:
  Step start(uint64_t now_ms) final;
  Step on_ready(uint32_t events, uint64_t now_ms) final;
  Step on_timeout(uint64_t now_ms) final;

 protected:
  // tls: nullptr for plain TCP; otherwise the handshake runs with `sni`.
  StreamProbe(const Endpoint& endpoint, uint32_t timeout_ms, std::string request,
              const TlsClient* tls = nullptr, std::string sni = {});

  // Connected (and handshaken): a Result ends the check here (TCP connect).
  virtual std::optional<Result> on_connected() { return std::nullopt; }
  // The whole request was written: a Result ends the check (nothing expected).
  virtual std::optional<Result> on_sent() { return std::nullopt; }
  // Bytes of the reply: a Result when they decide.
  virtual std::optional<Result> on_data(std::string_view bytes) = 0;
  // The server closed before on_data decided.
  virtual Result on_closed() = 0;

  const std::string& request() const noexcept { return request_; }

 private:
  enum class Phase { kConnecting, kHandshake, kSending, kReceiving };
  Step advance(uint64_t now_ms);
  Step connected(uint64_t now_ms);

  Endpoint endpoint_;
  std::string request_;
  const TlsClient* tls_;
  std::string sni_;
  Fd fd_;
  std::unique_ptr<Transport> transport_;
  Phase phase_ = Phase::kConnecting;
  size_t sent_ = 0;
};

}  // namespace lb::health::detail
