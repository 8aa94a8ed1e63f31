// TLS for HTTPS probes: the shared client context and one session per probe.
//
// The session reads and writes the socket through a BIO of our own rather
// than OpenSSL's socket BIO, whose write() raises SIGPIPE in lbd when a real
// server closes first; ours uses send(MSG_NOSIGNAL).
#include <lb/health/tls.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

#include "fd.h"
#include "transport.h"

namespace lb::health {

TlsClient::TlsClient() : ctx_(SSL_CTX_new(TLS_client_method())) {
  if (ctx_ == nullptr) throw std::runtime_error("TLS: cannot create the client context");
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  // Servers answering "Connection: close" often close without close_notify:
  // that is the end of the response, not an attack on it.
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

TlsClient::~TlsClient() {
  SSL_CTX_free(ctx_);
}

namespace detail {

namespace {

int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b)));
}

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::send(fd_of(b), data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* buf, int len) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::recv(fd_of(b), buf, static_cast<size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

// Immutable once built; C++ guarantees the one-time initialisation is
// thread-safe.
const BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "lbd-health");
    if (m != nullptr) {
      BIO_meth_set_write(m, bio_write);
      BIO_meth_set_read(m, bio_read);
      BIO_meth_set_ctrl(m, bio_ctrl);
    }
    return m;
  }();
  return method;
}

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "TLS error";
  const char* r = ERR_reason_error_string(e);
  return r != nullptr ? r : fmt::format("OpenSSL error {:#x}", e);
}

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, const TlsClient& tls, const std::string& sni) {
    ERR_clear_error();
    ssl_ = SSL_new(tls.context());
    BIO* bio = socket_method() != nullptr ? BIO_new(socket_method()) : nullptr;
    if (ssl_ == nullptr || bio == nullptr) {
      BIO_free(bio);
      setup_error_ = "TLS: cannot create a session: " + openssl_reason();
      return;
    }
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);  // the session owns the BIO
    SSL_set_connect_state(ssl_);
    if (!sni.empty() && SSL_set_tlsext_host_name(ssl_, sni.c_str()) != 1) {
      setup_error_ = "TLS: cannot set the server name: " + openssl_reason();
    }
  }
  ~TlsTransport() override { SSL_free(ssl_); }
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  Io handshake() override {
    if (!setup_error_.empty()) {
      error_ = setup_error_;
      return Io::kError;
    }
    errno = 0;  // SSL_ERROR_SYSCALL with errno 0 is a close, not a stale error
    const int rc = SSL_connect(ssl_);
    return rc == 1 ? Io::kOk : classify(rc, "TLS handshake");
  }

  Io write(std::string_view data, size_t& written) override {
    errno = 0;
    const int rc = SSL_write_ex(ssl_, data.data(), data.size(), &written);
    return rc == 1 ? Io::kOk : classify(rc, "TLS send");
  }

  Io read(char* buf, size_t capacity, size_t& got) override {
    errno = 0;
    const int rc = SSL_read_ex(ssl_, buf, capacity, &got);
    return rc == 1 ? Io::kOk : classify(rc, "TLS recv");
  }

 private:
  Io classify(int rc, const char* what) {
    const int saved_errno = errno;
    switch (SSL_get_error(ssl_, rc)) {
      case SSL_ERROR_WANT_READ:
        return Io::kWantRead;
      case SSL_ERROR_WANT_WRITE:
        return Io::kWantWrite;
      case SSL_ERROR_ZERO_RETURN:
        return Io::kEof;
      case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (saved_errno == 0) {
          error_ = fmt::format("{}: the connection closed", what);
        } else {
          error_ = sys_error(what, saved_errno);
        }
        return Io::kError;
      default:
        error_ = fmt::format("{}: {}", what, openssl_reason());
        return Io::kError;
    }
  }

  SSL* ssl_ = nullptr;
  std::string setup_error_;
};

}  // namespace

std::unique_ptr<Transport> tls_transport(int fd, const TlsClient& tls, const std::string& sni) {
  return std::make_unique<TlsTransport>(fd, tls, sni);
}

}  // namespace detail

}  // namespace lb::health
