// Private to lib/health: one factory per check type (make_probe picks).
#pragma once

#include <memory>

#include <lb/health/probe.h>
#include <lb/health/tls.h>

namespace lb::health::detail {

using CheckPtr = std::shared_ptr<const CompiledCheck>;

std::unique_ptr<Probe> make_tcp_probe(CheckPtr check, const Endpoint& endpoint);
std::unique_ptr<Probe> make_send_expect_probe(CheckPtr check, const Endpoint& endpoint);
std::unique_ptr<Probe> make_http_probe(CheckPtr check, const Endpoint& endpoint,
                                       const TlsClient* tls);
std::unique_ptr<Probe> make_udp_probe(CheckPtr check, const Endpoint& endpoint);
std::unique_ptr<Probe> make_program_probe(CheckPtr check, const Endpoint& endpoint);
// kTcp with endpoint.tunnel_vip: the handshake's first half through IPIP.
std::unique_ptr<Probe> make_tunnel_tcp_probe(CheckPtr check, const Endpoint& endpoint);

// A reply as reasons quote it: at most 60 bytes, escaped, in quotes.
std::string excerpt(std::string_view reply);

}  // namespace lb::health::detail
