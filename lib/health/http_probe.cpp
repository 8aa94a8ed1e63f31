// HTTP and HTTPS GET (ldirectord negotiate, keepalived HTTP_GET/SSL_GET):
// send the request, parse the response, judge status and body. When no body
// is expected the verdict comes with the headers, so a large page costs one
// read, not a download.
#include <lb/health/http.h>

#include "probes.h"
#include "stream_probe.h"

namespace lb::health::detail {

namespace {

// The Host header: the configured one, else the address, with the port
// unless it is the scheme's default (RFC 9110 section 7.2).
std::string host_header(const CheckSpec& spec, const Endpoint& endpoint) {
  if (!spec.host.empty()) return spec.host;
  const uint16_t default_port = spec.type == CheckType::kHttps ? 443 : 80;
  if (endpoint.port == default_port) return endpoint.addr.to_string();
  return fmt::format("{}:{}", endpoint.addr.to_string(), endpoint.port);
}

// SNI names a host, never an address (RFC 6066 section 3), and has no port.
std::string server_name(const CheckSpec& spec) {
  std::string name = spec.host;
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos &&
      name.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    name.resize(colon);
  }
  if (name.empty() || name.front() == '[' || packet::Ipv4Addr::parse(name)) return {};
  return name;
}

class HttpProbe final : public StreamProbe {
 public:
  HttpProbe(CheckPtr check, const Endpoint& endpoint, const TlsClient* tls)
      : StreamProbe(endpoint, check->spec.timeout_ms,
                    http_request(check->spec.path, host_header(check->spec, endpoint)), tls,
                    server_name(check->spec)),
        check_(std::move(check)) {}

 private:
  std::optional<Result> on_data(std::string_view bytes) override {
    return judge(parser_.feed(bytes));
  }
  Result on_closed() override {
    auto r = judge(parser_.finish());  // finish() always decides: kDone or kError
    return r ? std::move(*r) : Result::failure("the connection closed inside the response");
  }

  std::optional<Result> judge(HttpResponseParser::Status status) {
    if (status == HttpResponseParser::Status::kError) return Result::failure(parser_.error());
    const bool enough = status == HttpResponseParser::Status::kDone ||
                        (parser_.headers_complete() && check_->expect_body.empty());
    if (!enough) return std::nullopt;
    return http_verdict(parser_.response(), check_->spec.expect_status, check_->expect_body);
  }

  CheckPtr check_;
  HttpResponseParser parser_;
};

}  // namespace

std::unique_ptr<Probe> make_http_probe(CheckPtr check, const Endpoint& endpoint,
                                       const TlsClient* tls) {
  return std::make_unique<HttpProbe>(std::move(check), endpoint, tls);
}

}  // namespace lb::health::detail
