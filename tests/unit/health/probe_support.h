// Running one check against a local server, as the probe tests do.
#pragma once

#include <catch2/catch.hpp>

#include <memory>

#include <lb/health/check.h>
#include <lb/health/probe.h>
#include <lb/health/tls.h>

namespace lb::health::test {

inline const packet::Ipv4Addr kLoopback = packet::Ipv4Addr::from_octets(127, 0, 0, 1);

// Generous: the machine running the tests is shared and loaded.
inline constexpr uint32_t kPatientMs = 10000;

inline std::unique_ptr<Probe> probe_for(CheckSpec spec, uint16_t port, TlsClient* tls = nullptr,
                                        packet::Ipv4Addr addr = kLoopback) {
  auto compiled = compile_check(spec);
  REQUIRE(compiled);
  return make_probe(std::make_shared<const CompiledCheck>(std::move(*compiled.value)),
                    Endpoint{addr, port, std::nullopt}, tls);
}

inline Result check(CheckSpec spec, uint16_t port, TlsClient* tls = nullptr,
                    packet::Ipv4Addr addr = kLoopback) {
  auto probe = probe_for(std::move(spec), port, tls, addr);
  return run_probe(*probe);
}

inline CheckSpec spec_of(CheckType type, uint32_t timeout_ms = kPatientMs) {
  CheckSpec s;
  s.type = type;
  s.timeout_ms = timeout_ms;
  return s;
}

}  // namespace lb::health::test
