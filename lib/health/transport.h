// Private to lib/health: bytes over a connected non-blocking socket, plain
// or TLS, so the send/expect and HTTP probes are written once for both.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace lb::health {
class TlsClient;
}

namespace lb::health::detail {

enum class Io { kOk, kWantRead, kWantWrite, kEof, kError };

class Transport {
 public:
  virtual ~Transport() = default;
  // TLS: advances the handshake; plain: kOk at once.
  virtual Io handshake() { return Io::kOk; }
  virtual Io write(std::string_view data, size_t& written) = 0;
  virtual Io read(char* buf, size_t capacity, size_t& got) = 0;
  // After kError: "recv: Connection reset by peer", "TLS handshake: wrong version number".
  const std::string& error() const noexcept { return error_; }

 protected:
  std::string error_;
};

// send(MSG_NOSIGNAL)/recv on fd (not owned).
std::unique_ptr<Transport> plain_transport(int fd);
// TLS client over fd (not owned); `sni` empty: no server name sent.
std::unique_ptr<Transport> tls_transport(int fd, const TlsClient& tls, const std::string& sni);

}  // namespace lb::health::detail
