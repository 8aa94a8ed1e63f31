// An HTTPS server for the TLS probe tests: a self-signed certificate made
// in memory at start (no files, no openssl binary), one connection at a
// time in its own thread.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include "servers.h"

namespace lb::health::test {

class TlsHttpServer {
 public:
  explicit TlsHttpServer(std::string response)
      : response_(std::move(response)), ctx_(make_context()), server_([this](int fd) {
          serve(fd);
          return false;
        }) {}
  ~TlsHttpServer() = default;  // server_ (declared last) stops first
  TlsHttpServer(const TlsHttpServer&) = delete;
  TlsHttpServer& operator=(const TlsHttpServer&) = delete;

  uint16_t port() const { return server_.port(); }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return last_request_;
  }
  std::string last_sni() {
    std::lock_guard lock(mu_);
    return last_sni_;
  }

 private:
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };

  static SSL_CTX* make_context() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (key == nullptr || cert == nullptr) throw std::runtime_error("test TLS: no key");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("lbd-health-test"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1) {
      throw std::runtime_error("test TLS: cannot set up the server context");
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
  }

  void serve(int fd) {
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx_.get());
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        last_request_ = req;
        const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        last_sni_ = sni != nullptr ? sni : "";
      }
      SSL_write(ssl, response_.data(), static_cast<int>(response_.size()));
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
  }

  std::string response_;
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  std::mutex mu_;
  std::string last_request_;
  std::string last_sni_;
  TcpServer server_;
};

}  // namespace lb::health::test
