// The socket probes against real servers on 127.0.0.1 in this process.
#include <catch2/catch.hpp>

#include <lb/health/probe.h>

#include "probe_support.h"
#include "servers.h"
#include "tls_server.h"

using namespace lb::health;
using namespace lb::health::test;

TEST_CASE("tcp: a listener is up, a closed port is refused") {
  TcpServer server([](int) { return false; });
  const auto up = check(spec_of(CheckType::kTcp), server.port());
  CHECK(up.ok);
  CHECK(up.reason == "connected");
  CHECK(up.latency_ms < kPatientMs);

  const auto down = check(spec_of(CheckType::kTcp), closed_port(SOCK_STREAM));
  CHECK_FALSE(down.ok);
  CHECK(down.reason == "connect: Connection refused");
}

TEST_CASE("tcp: a timeout while connecting says so") {
  // The deadline is driven by hand: a connect that never completes cannot be
  // made reliably on loopback, and the state machine is what is tested.
  TcpServer server([](int) { return false; });
  auto probe = probe_for(spec_of(CheckType::kTcp, 3000), server.port());
  const Step first = probe->start(1000);
  if (const auto* w = std::get_if<Wait>(&first)) {
    CHECK(w->deadline_ms == 4000);
    CHECK(w->events == EPOLLOUT);
    const Step last = probe->on_timeout(4000);
    REQUIRE(std::holds_alternative<Result>(last));
    CHECK(std::get<Result>(last) == Result{false, "timeout after 3000 ms while connecting", 3000});
  } else {
    CHECK(std::get<Result>(first).ok);  // loopback connected at once: nothing to time out
  }
}

TEST_CASE("tcp: the source address is bound") {
  TcpServer server([](int) { return false; });
  CheckSpec s = spec_of(CheckType::kTcp);
  auto compiled = compile_check(s);
  auto probe = make_probe(std::make_shared<const CompiledCheck>(*compiled.value),
                          Endpoint{kLoopback, server.port(), kLoopback}, nullptr);
  CHECK(run_probe(*probe).ok);
  // An address this host does not have cannot be the source.
  auto foreign = make_probe(
      std::make_shared<const CompiledCheck>(*compiled.value),
      Endpoint{kLoopback, server.port(), lb::packet::Ipv4Addr::from_octets(192, 0, 2, 1)}, nullptr);
  const auto r = run_probe(*foreign);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "bind 192.0.2.1: Cannot assign requested address");
}

TEST_CASE("send/expect: an FTP-style banner") {
  TcpServer ftp([](int fd) {
    write_all(fd, "220 ftp.example ready\r\n");
    read_until(fd, "\n");
    write_all(fd, "221 bye\r\n");
    return false;
  });
  CheckSpec s = spec_of(CheckType::kSendExpect);
  s.send = "quit\r\n";
  s.expect = {"220", false};
  const auto ok = check(s, ftp.port());
  CHECK(ok.ok);
  CHECK(ok.reason == "reply matched \"220\"");

  s.expect = {R"(^220 \S+ ready)", true};
  CHECK(check(s, ftp.port()).reason == R"(reply matched /^220 \S+ ready/)");

  s.expect = {"230", false};
  const auto wrong = check(s, ftp.port());
  CHECK_FALSE(wrong.ok);
  CHECK(wrong.reason ==
        "reply did not match \"230\": got \"220 ftp.example ready\\r\\n221 bye\\r\\n\"");

  // No expect: writing the send string is the check.
  s.expect = {};
  CHECK(check(s, ftp.port()).reason == "sent 6 bytes");
  // Neither: a connect check, as nanny with an empty send field.
  s.send.clear();
  CHECK(check(s, ftp.port()).reason == "connected");
}

TEST_CASE("send/expect: a server that closes at once, one that never answers") {
  TcpServer closer([](int) { return false; });
  CheckSpec s = spec_of(CheckType::kSendExpect);
  s.send = "HELO\r\n";
  s.expect = {"250", false};
  const auto closed = check(s, closer.port());
  CHECK_FALSE(closed.ok);
  // The server may close before or after the send lands.
  const bool as_expected =
      closed.reason == "the connection closed without a reply (expected \"250\")" ||
      closed.reason == "recv: Connection reset by peer" ||
      closed.reason == "send: Connection reset by peer" || closed.reason == "send: Broken pipe";
  INFO(closed.reason);
  CHECK(as_expected);

  TcpServer silent([](int) { return true; });
  s.timeout_ms = 300;
  const auto slow = check(s, silent.port());
  CHECK_FALSE(slow.ok);
  CHECK(slow.reason == "timeout after 300 ms waiting for the reply");
  CHECK(slow.latency_ms >= 300);
}

TEST_CASE("http: the request sent, status and body judged") {
  HttpServer ok("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nstatus: fine");
  CheckSpec s = spec_of(CheckType::kHttp);
  s.path = "/healthz";
  const auto r = check(s, ok.port());
  CHECK(r.ok);
  CHECK(r.reason == "HTTP 200 OK");
  CHECK(ok.last_request() ==
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(ok.port()) +
            "\r\nUser-Agent: lbd-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");

  s.host = "www.example.test";
  s.expect_body = {"status: (fine|ok)", true};
  CHECK(check(s, ok.port()).reason == "HTTP 200, body matched /status: (fine|ok)/");
  CHECK(ok.last_request().find("\r\nHost: www.example.test\r\n") != std::string::npos);

  s.expect_body = {"ready", false};
  CHECK(check(s, ok.port()).reason == "HTTP 200 but the body did not match \"ready\"");
}

TEST_CASE("http: a 503, a chunked body, garbage, silence") {
  HttpServer sorry("HTTP/1.0 503 Service Unavailable\r\n\r\nmaintenance");
  CheckSpec s = spec_of(CheckType::kHttp);
  const auto down = check(s, sorry.port());
  CHECK_FALSE(down.ok);
  CHECK(down.reason == "expected 2xx or 3xx, got 503 Service Unavailable");
  s.expect_status = {200};
  CHECK(check(s, sorry.port()).reason == "expected 200, got 503 Service Unavailable");

  HttpServer chunked(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nall \r\n4\r\ngood\r\n0\r\n\r\n");
  s.expect_body = {"all good", false};
  CHECK(check(s, chunked.port()).ok);

  HttpServer ssh("SSH-2.0-OpenSSH_9.2p1\r\n");
  CHECK(check(s, ssh.port()).reason == "not an HTTP/1.x response: \"SSH-2.0-OpenSSH_9.2p1\"");

  TcpServer silent([](int) { return true; });
  s.timeout_ms = 300;
  CHECK(check(s, silent.port()).reason == "timeout after 300 ms waiting for the reply");
}

TEST_CASE("https: GET over TLS without verifying the certificate, SNI from the host") {
  TlsHttpServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  TlsClient tls;
  CheckSpec s = spec_of(CheckType::kHttps);
  s.expect_body = {"ok", false};
  const auto r = check(s, server.port(), &tls);
  CHECK(r.ok);
  CHECK(r.reason == "HTTP 200, body matched \"ok\"");
  CHECK(server.last_sni().empty());  // an address is never sent as SNI
  CHECK(server.last_request().rfind("GET / HTTP/1.1\r\n", 0) == 0);

  s.host = "www.example.test:8443";
  CHECK(check(s, server.port(), &tls).ok);
  CHECK(server.last_sni() == "www.example.test");
  CHECK(server.last_request().find("\r\nHost: www.example.test:8443\r\n") != std::string::npos);
}

TEST_CASE("https: a plain HTTP server fails the handshake; no TLS context fails cleanly") {
  // A plain server answers the ClientHello with plain HTTP.
  TcpServer plain([](int fd) {
    read_until(fd, "\x01");  // a ClientHello has a handshake type 1 early on
    write_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    return false;
  });
  TlsClient tls;
  const auto r = check(spec_of(CheckType::kHttps), plain.port(), &tls);
  INFO(r.reason);
  CHECK_FALSE(r.ok);
  CHECK(r.reason.rfind("TLS handshake: ", 0) == 0);

  const auto none = check(spec_of(CheckType::kHttps), plain.port(), nullptr);
  CHECK(none.reason == "TLS: no TLS client context for an HTTPS check");
}

TEST_CASE("udp: a reply matched, a closed port refused at once, silence timed out") {
  UdpServer echo;
  CheckSpec s = spec_of(CheckType::kUdp);
  s.send = std::string("\x12\x34\x01\x00ping", 8);
  s.expect = {"ping", false};
  const auto ok = check(s, echo.port());
  CHECK(ok.ok);
  CHECK(ok.reason == "reply matched \"ping\"");

  s.expect = {"pong", false};
  CHECK(check(s, echo.port()).reason ==
        "reply did not match \"pong\": got \"\\x124\\x01\\x00ping\"");

  s.expect = {};
  CHECK(check(s, echo.port()).reason == "reply of 8 bytes");

  const auto refused = check(s, closed_port(SOCK_DGRAM));
  CHECK_FALSE(refused.ok);
  CHECK(refused.reason == "recv: Connection refused (ICMP port unreachable)");
  CHECK(refused.latency_ms < kPatientMs);

  UdpServer silent({}, true);
  s.timeout_ms = 300;
  CHECK(check(s, silent.port()).reason == "timeout after 300 ms waiting for a reply");
}
