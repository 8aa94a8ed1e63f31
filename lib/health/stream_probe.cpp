#include "stream_probe.h"

#include <sys/socket.h>

#include <array>

#include "net.h"

namespace lb::health::detail {

StreamProbe::StreamProbe(const Endpoint& endpoint, uint32_t timeout_ms, std::string request,
                         const TlsClient* tls, std::string sni)
    : ProbeBase(timeout_ms),
      endpoint_(endpoint),
      request_(std::move(request)),
      tls_(tls),
      sni_(std::move(sni)) {}

Step StreamProbe::start(uint64_t now_ms) {
  begin(now_ms);
  Opened opened = open_socket(SOCK_STREAM, endpoint_);
  if (!opened.fd) return finish(Result::failure(std::move(opened.error)), now_ms);
  fd_ = std::move(opened.fd);
  if (opened.connected) return connected(now_ms);
  return wait(fd_.get(), EPOLLOUT);
}

Step StreamProbe::connected(uint64_t now_ms) {
  if (auto r = on_connected()) return finish(std::move(*r), now_ms);
  transport_ = tls_ != nullptr ? tls_transport(fd_.get(), *tls_, sni_) : plain_transport(fd_.get());
  phase_ = tls_ != nullptr ? Phase::kHandshake : Phase::kSending;
  return advance(now_ms);
}

Step StreamProbe::on_ready(uint32_t, uint64_t now_ms) {
  if (phase_ == Phase::kConnecting) {
    if (std::string err = connect_error(fd_.get()); !err.empty()) {
      return finish(Result::failure(std::move(err)), now_ms);
    }
    return connected(now_ms);
  }
  return advance(now_ms);
}

// Runs the exchange as far as the socket allows, then says what to wait for.
// TLS may want to read while sending and write while receiving.
Step StreamProbe::advance(uint64_t now_ms) {
  const auto want = [&](Io io) {
    return wait(fd_.get(), io == Io::kWantRead ? EPOLLIN : EPOLLOUT);
  };
  const auto failed = [&] { return finish(Result::failure(transport_->error()), now_ms); };
  while (true) {
    switch (phase_) {
      case Phase::kConnecting:
        return wait(fd_.get(), EPOLLOUT);
      case Phase::kHandshake: {
        const Io io = transport_->handshake();
        if (io == Io::kWantRead || io == Io::kWantWrite) return want(io);
        if (io != Io::kOk) return failed();
        phase_ = Phase::kSending;
        break;
      }
      case Phase::kSending: {
        while (sent_ < request_.size()) {
          size_t n = 0;
          const Io io = transport_->write(std::string_view(request_).substr(sent_), n);
          if (io == Io::kWantRead || io == Io::kWantWrite) return want(io);
          if (io != Io::kOk) return failed();
          sent_ += n;
        }
        if (auto r = on_sent()) return finish(std::move(*r), now_ms);
        phase_ = Phase::kReceiving;
        break;
      }
      case Phase::kReceiving: {
        std::array<char, 16384> buf;
        size_t n = 0;
        const Io io = transport_->read(buf.data(), buf.size(), n);
        if (io == Io::kWantRead || io == Io::kWantWrite) return want(io);
        if (io == Io::kEof) return finish(on_closed(), now_ms);
        if (io != Io::kOk) return failed();
        if (auto r = on_data(std::string_view(buf.data(), n))) return finish(std::move(*r), now_ms);
        break;
      }
    }
  }
}

Step StreamProbe::on_timeout(uint64_t now_ms) {
  switch (phase_) {
    case Phase::kConnecting:
      return timed_out("while connecting", now_ms);
    case Phase::kHandshake:
      return timed_out("in the TLS handshake", now_ms);
    case Phase::kSending:
      return timed_out("while sending the request", now_ms);
    case Phase::kReceiving:
      break;
  }
  return timed_out("waiting for the reply", now_ms);
}

}  // namespace lb::health::detail
