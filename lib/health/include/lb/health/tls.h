// The TLS client configuration shared by every HTTPS probe: one SSL_CTX,
// created once (not per check) on the control thread.
//
// Certificates are not verified, as ldirectord and keepalived do not by
// default: the check asks whether the service answers, and a real server's
// certificate is usually issued for the VIP's name, not its own address.
// SNI carries the check's `host` when it is a name.
#pragma once

struct ssl_ctx_st;

namespace lb::health {

class TlsClient {
 public:
  // Throws std::runtime_error when OpenSSL cannot create the context (out of
  // memory): a start-up failure, before any check runs.
  TlsClient();
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  ssl_ctx_st* context() const noexcept { return ctx_; }

 private:
  ssl_ctx_st* ctx_ = nullptr;
};

}  // namespace lb::health
