#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <lb/health/http.h>

using lb::health::Expect;
using lb::health::http_request;
using lb::health::http_verdict;
using lb::health::HttpResponse;
using lb::health::HttpResponseParser;
using lb::health::Matcher;
using Status = HttpResponseParser::Status;

namespace {

// Feeds `wire` in pieces of `step` bytes (every split must give the same result).
Status feed_in_pieces(HttpResponseParser& p, const std::string& wire, size_t step) {
  Status s = Status::kNeedMore;
  for (size_t i = 0; i < wire.size(); i += step)
    s = p.feed(std::string_view(wire).substr(i, step));
  return s;
}

Matcher body_regex(const char* re) {
  return *Matcher::compile(Expect{re, true}).value;
}

}  // namespace

TEST_CASE("the request is an HTTP/1.1 GET that closes") {
  CHECK(http_request("/health?x=1", "www.example.com") ==
        "GET /health?x=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: lbd-health\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST_CASE("a Content-Length body, split anywhere") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nServer: t\r\nContent-Length: 11\r\n\r\nhello worldEXTRA";
  for (size_t step : {1, 2, 3, 7, 100}) {
    HttpResponseParser p;
    CHECK(feed_in_pieces(p, wire, step) == Status::kDone);
    CHECK(p.response().status == 200);
    CHECK(p.response().reason_phrase == "OK");
    CHECK(p.response().minor_version == 1);
    CHECK(p.response().body == "hello world");
    REQUIRE(p.response().headers.size() == 2);
    CHECK(p.response().headers[0] == std::pair<std::string, std::string>{"Server", "t"});
  }
}

TEST_CASE("a chunked body with extensions and trailers, split anywhere") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
  for (size_t step : {1, 4, 13, 1000}) {
    HttpResponseParser p;
    CHECK(feed_in_pieces(p, wire, step) == Status::kDone);
    CHECK(p.response().body == "hello 0123456789");
  }
}

TEST_CASE("a body delimited by the close ends at finish()") {
  HttpResponseParser p;
  CHECK(p.feed("HTTP/1.0 200 OK\nContent-Type: text/plain\n\nall of ") == Status::kNeedMore);
  CHECK(p.headers_complete());
  CHECK(p.feed("it") == Status::kNeedMore);
  CHECK(p.finish() == Status::kDone);
  CHECK(p.response().minor_version == 0);
  CHECK(p.response().body == "all of it");
}

TEST_CASE("interim 1xx responses are skipped; 204 and 304 have no body") {
  HttpResponseParser p;
  CHECK(p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n") == Status::kDone);
  CHECK(p.response().status == 204);
  HttpResponseParser q;
  CHECK(q.feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n") == Status::kDone);
  CHECK(q.response().body.empty());
}

TEST_CASE("headers larger than the limit are an error") {
  HttpResponseParser p(256);
  std::string wire = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 20; ++i)
    wire += "X-Padding: 0123456789\r\n";
  CHECK(p.feed(wire) == Status::kError);
  CHECK(p.error() == "the response headers exceed 256 bytes");
  // One endless header line, too.
  HttpResponseParser q(256);
  CHECK(q.feed("HTTP/1.1 200 OK\r\nX: " + std::string(300, 'y')) == Status::kError);
}

TEST_CASE("a body beyond the limit keeps its start and stops") {
  HttpResponseParser p(64);  // the 40 bytes of headers fit; the body does not
  const std::string start(64, 'b');
  CHECK(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + start + "OVER") == Status::kDone);
  CHECK(p.response().body == start);
  CHECK(p.response().body_truncated);
  const auto r = http_verdict(p.response(), {}, body_regex("OVER"));
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "HTTP 200 but the body did not match /OVER/ (in its first 64 bytes)");
  CHECK(http_verdict(p.response(), {}, body_regex("^b+$")).ok);
}

TEST_CASE("garbage and broken framing are errors that say what was wrong") {
  HttpResponseParser ssh;
  CHECK(ssh.feed("SSH-2.0-OpenSSH_9.2\r\n") == Status::kError);
  CHECK(ssh.error() == "not an HTTP/1.x response: \"SSH-2.0-OpenSSH_9.2\"");

  HttpResponseParser bad_header;
  CHECK(bad_header.feed("HTTP/1.1 200 OK\r\nno colon here\r\n") == Status::kError);
  CHECK(bad_header.error() == "malformed header line \"no colon here\"");

  HttpResponseParser bad_length;
  CHECK(bad_length.feed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == Status::kError);
  CHECK(bad_length.error() == "invalid Content-Length \"-1\"");

  HttpResponseParser two_lengths;
  CHECK(two_lengths.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") ==
        Status::kError);
  CHECK(two_lengths.error() == "conflicting Content-Length values");

  HttpResponseParser bad_chunk;
  CHECK(bad_chunk.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") ==
        Status::kError);
  CHECK(bad_chunk.error() == "invalid chunk size \"zz\"");

  HttpResponseParser http2;
  CHECK(http2.feed("HTTP/2 200\r\n") == Status::kError);
}

TEST_CASE("a connection that closes too early is an error at finish()") {
  HttpResponseParser nothing;
  CHECK(nothing.finish() == Status::kError);
  CHECK(nothing.error() == "the connection closed without a response");

  HttpResponseParser in_headers;
  in_headers.feed("HTTP/1.1 200 OK\r\nServer: x\r\n");
  CHECK(in_headers.finish() == Status::kError);
  CHECK(in_headers.error() == "the connection closed inside the response headers");

  HttpResponseParser short_body;
  short_body.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  CHECK(short_body.finish() == Status::kError);
  CHECK(short_body.error() == "the connection closed after 3 of 10 body bytes");

  HttpResponseParser in_chunks;
  in_chunks.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
  CHECK(in_chunks.finish() == Status::kError);
  CHECK(in_chunks.error() == "the connection closed inside the chunked body");
}

TEST_CASE("the verdict checks the status and the body") {
  HttpResponse r;
  r.status = 200;
  r.reason_phrase = "OK";
  r.body = "<p>status: ok</p>";
  CHECK(http_verdict(r, {}, Matcher{}) == lb::health::Result::success("HTTP 200 OK"));
  CHECK(http_verdict(r, {}, body_regex("status: (ok|fine)")).reason ==
        "HTTP 200, body matched /status: (ok|fine)/");
  const auto no_body = http_verdict(r, {}, body_regex("ready"));
  CHECK_FALSE(no_body.ok);
  CHECK(no_body.reason == "HTTP 200 but the body did not match /ready/");

  r.status = 503;
  r.reason_phrase = "Service Unavailable";
  const auto down = http_verdict(r, {200}, Matcher{});
  CHECK_FALSE(down.ok);
  CHECK(down.reason == "expected 200, got 503 Service Unavailable");
  CHECK(http_verdict(r, {200, 204, 301}, Matcher{}).reason ==
        "expected 200, 204 or 301, got 503 Service Unavailable");
  r.reason_phrase.clear();
  CHECK(http_verdict(r, {}, Matcher{}).reason == "expected 2xx or 3xx, got 503");
  r.status = 302;
  CHECK(http_verdict(r, {}, Matcher{}).ok);
  CHECK_FALSE(http_verdict(r, {200}, Matcher{}).ok);
  r.status = 503;
  CHECK(http_verdict(r, {503}, Matcher{}).ok);  // a sorry page can be the expected answer
}
