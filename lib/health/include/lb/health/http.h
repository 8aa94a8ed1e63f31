// HTTP/1.x for health checks: the request a check sends, an incremental
// parser for the response it reads, and the verdict on that response.
//
// Pure: no sockets. The parser takes bytes as they arrive (any split), keeps
// at most `limit` bytes of header section and of body, and never throws; a
// malformed response is an error with a message for the operator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lb/health/expect.h>
#include <lb/health/result.h>

namespace lb::health {

inline constexpr size_t kHttpLimit = 64 * 1024;

// "GET <path> HTTP/1.1" with Host, User-Agent: lbd-health, Accept: */* and
// Connection: close (so the server ends the body by closing when it has no
// length to give, and keeps no idle connection for us).
std::string http_request(std::string_view path, std::string_view host);

struct HttpResponse {
  int minor_version = 1;  // HTTP/1.<minor>
  uint16_t status = 0;
  std::string reason_phrase;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;                                          // de-chunked; at most `limit` bytes
  bool body_truncated = false;  // the body went on beyond `limit`; `body` is its start
};

class HttpResponseParser {
 public:
  enum class Status { kNeedMore, kDone, kError };

  explicit HttpResponseParser(size_t limit = kHttpLimit) : limit_(limit) {}

  // The next bytes of the connection. kDone once the response is complete (or
  // its body reached the limit); bytes after that are ignored.
  Status feed(std::string_view bytes);
  // The peer closed: completes a close-delimited body, an error otherwise
  // when the response is incomplete.
  Status finish();

  Status status() const noexcept { return status_; }
  bool headers_complete() const noexcept { return headers_done_; }
  const HttpResponse& response() const noexcept { return response_; }
  const std::string& error() const noexcept { return error_; }

 private:
  enum class Phase {
    kStatusLine,
    kHeaders,
    kBodyLength,  // Content-Length bytes
    kBodyClose,   // until the peer closes
    kChunkSize,
    kChunkData,
    kChunkDataEnd,  // the CRLF after a chunk's data
    kTrailers,
    kDone,
  };

  Status fail(std::string message);
  Status done();
  // Takes one line (without its CR LF) from `bytes`; false when it has not
  // ended yet (the part seen is kept in line_).
  bool take_line(std::string_view& bytes, std::string& line);
  Status on_status_line(const std::string& line);
  Status on_header_line(const std::string& line);
  Status on_headers_end();
  Status on_chunk_size(const std::string& line);
  void append_body(std::string_view data);

  size_t limit_;
  Status status_ = Status::kNeedMore;
  Phase phase_ = Phase::kStatusLine;
  bool headers_done_ = false;
  size_t header_bytes_ = 0;  // of the current response's header section
  size_t received_ = 0;      // all bytes fed, for messages
  uint64_t remaining_ = 0;   // of the Content-Length body or of the current chunk
  std::string line_;         // a line not yet ended
  HttpResponse response_;
  std::string error_;
};

// The check's verdict: the status is one of `expect_status` (empty: any 2xx or
// 3xx) and the body matches `expect_body` (empty: anything). Reasons:
// "HTTP 200", "expected 200, got 503", "expected 2xx or 3xx, got 404",
// "HTTP 200 but the body did not match /ok/".
Result http_verdict(const HttpResponse& response, const std::vector<uint16_t>& expect_status,
                    const Matcher& expect_body);

}  // namespace lb::health
