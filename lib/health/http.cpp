#include <lb/health/http.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include <lb/health/escapes.h>

namespace lb::health {

namespace {

// A chunk-size line is a few hex digits and rare extensions; a longer one is
// not a server we want to read further.
constexpr size_t kMaxChunkLine = 4096;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string quoted(std::string_view bytes) {
  return fmt::format("\"{}\"", encode_escapes(bytes, 60));
}

// "200", "200 or 204", "200, 204 or 301".
std::string status_list(const std::vector<uint16_t>& codes) {
  std::string out;
  for (size_t i = 0; i < codes.size(); ++i) {
    if (i > 0) out += i + 1 == codes.size() ? " or " : ", ";
    out += std::to_string(codes[i]);
  }
  return out;
}

}  // namespace

std::string http_request(std::string_view path, std::string_view host) {
  return fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: lbd-health\r\nAccept: */*\r\n"
      "Connection: close\r\n\r\n",
      path, host);
}

HttpResponseParser::Status HttpResponseParser::fail(std::string message) {
  error_ = std::move(message);
  status_ = Status::kError;
  return status_;
}

HttpResponseParser::Status HttpResponseParser::done() {
  phase_ = Phase::kDone;
  status_ = Status::kDone;
  return status_;
}

bool HttpResponseParser::take_line(std::string_view& bytes, std::string& line) {
  const bool in_headers =
      phase_ == Phase::kStatusLine || phase_ == Phase::kHeaders || phase_ == Phase::kTrailers;
  const size_t nl = bytes.find('\n');
  const size_t taken = nl == std::string_view::npos ? bytes.size() : nl + 1;
  if (in_headers) header_bytes_ += taken;
  line_.append(bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl));
  bytes.remove_prefix(taken);
  if (in_headers && header_bytes_ > limit_) {
    fail(fmt::format("the response headers exceed {} bytes", limit_));
    return false;
  }
  if (!in_headers && line_.size() > kMaxChunkLine) {
    fail(fmt::format("a chunk-size line longer than {} bytes", kMaxChunkLine));
    return false;
  }
  if (nl == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  line = std::move(line_);
  line_.clear();
  return true;
}

HttpResponseParser::Status HttpResponseParser::feed(std::string_view bytes) {
  if (status_ != Status::kNeedMore) return status_;
  received_ += bytes.size();
  while (!bytes.empty() && status_ == Status::kNeedMore) {
    switch (phase_) {
      case Phase::kStatusLine:
      case Phase::kHeaders:
      case Phase::kChunkSize:
      case Phase::kChunkDataEnd:
      case Phase::kTrailers: {
        std::string line;
        if (!take_line(bytes, line)) break;
        if (phase_ == Phase::kStatusLine) {
          on_status_line(line);
        } else if (phase_ == Phase::kHeaders) {
          on_header_line(line);
        } else if (phase_ == Phase::kChunkSize) {
          on_chunk_size(line);
        } else if (phase_ == Phase::kChunkDataEnd) {
          if (!line.empty()) {
            fail(fmt::format("chunk data not followed by CR LF: {}", quoted(line)));
          } else {
            phase_ = Phase::kChunkSize;
          }
        } else if (line.empty()) {
          done();  // the end of the trailers: the trailer fields themselves are not needed
        }
        break;
      }
      case Phase::kBodyLength:
      case Phase::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
        append_body(bytes.substr(0, n));
        bytes.remove_prefix(n);
        remaining_ -= n;
        if (status_ == Status::kNeedMore && remaining_ == 0) {
          if (phase_ == Phase::kBodyLength) {
            done();
          } else {
            phase_ = Phase::kChunkDataEnd;
          }
        }
        break;
      }
      case Phase::kBodyClose:
        append_body(bytes);
        bytes = {};
        break;
      case Phase::kDone:
        bytes = {};
        break;
    }
  }
  return status_;
}

HttpResponseParser::Status HttpResponseParser::finish() {
  if (status_ != Status::kNeedMore) return status_;
  switch (phase_) {
    case Phase::kStatusLine:
      if (received_ == 0) return fail("the connection closed without a response");
      return fail(
          fmt::format("the connection closed after {} bytes, before a status line", received_));
    case Phase::kHeaders:
      return fail("the connection closed inside the response headers");
    case Phase::kBodyClose:
      return done();
    case Phase::kBodyLength:
      return fail(fmt::format("the connection closed after {} of {} body bytes",
                              response_.body.size(), response_.body.size() + remaining_));
    case Phase::kChunkSize:
    case Phase::kChunkData:
    case Phase::kChunkDataEnd:
    case Phase::kTrailers:
      return fail("the connection closed inside the chunked body");
    case Phase::kDone:
      break;
  }
  return status_;
}

HttpResponseParser::Status HttpResponseParser::on_status_line(const std::string& line) {
  // "HTTP/1.1 200 OK"; the reason phrase may be empty, even without its space.
  const std::string_view s = line;
  if (s.size() < 12 || s.substr(0, 7) != "HTTP/1." || !is_digit(s[7]) || s[8] != ' ' ||
      !is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]) || (s.size() > 12 && s[12] != ' ')) {
    return fail(fmt::format("not an HTTP/1.x response: {}", quoted(line)));
  }
  response_.minor_version = s[7] - '0';
  response_.status = static_cast<uint16_t>((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
  response_.reason_phrase = s.size() > 13 ? std::string(trim(s.substr(13))) : std::string();
  phase_ = Phase::kHeaders;
  return status_;
}

HttpResponseParser::Status HttpResponseParser::on_header_line(const std::string& line) {
  if (line.empty()) return on_headers_end();
  if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
    if (response_.headers.empty()) {
      return fail(fmt::format("a continuation line before any header: {}", quoted(line)));
    }
    auto& value = response_.headers.back().second;
    value += ' ';
    value += trim(line);
    return status_;
  }
  const size_t colon = line.find(':');
  const std::string_view name = std::string_view(line).substr(0, colon);
  if (colon == std::string::npos || colon == 0 ||
      name.find_first_of(" \t") != std::string_view::npos) {
    return fail(fmt::format("malformed header line {}", quoted(line)));
  }
  response_.headers.emplace_back(std::string(name),
                                 std::string(trim(std::string_view(line).substr(colon + 1))));
  return status_;
}

HttpResponseParser::Status HttpResponseParser::on_headers_end() {
  const uint16_t code = response_.status;
  if (code >= 100 && code < 200 && code != 101) {
    // An interim response (100 Continue, 103 Early Hints): the final one follows.
    response_ = HttpResponse{};
    header_bytes_ = 0;
    phase_ = Phase::kStatusLine;
    return status_;
  }
  headers_done_ = true;

  const std::string* transfer_encoding = nullptr;
  std::optional<uint64_t> length;
  for (const auto& [name, value] : response_.headers) {
    if (iequals(name, "Transfer-Encoding")) {
      transfer_encoding = &value;
    } else if (iequals(name, "Content-Length")) {
      // "Content-Length: 5, 5" is allowed; the values must agree.
      std::string_view rest = value;
      while (true) {
        const size_t comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        uint64_t n = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size()) {
          return fail(fmt::format("invalid Content-Length {}", quoted(value)));
        }
        if (length && *length != n) return fail("conflicting Content-Length values");
        length = n;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }

  if (code == 101 || code == 204 || code == 304) return done();  // never a body
  if (transfer_encoding != nullptr) {
    // The final coding decides; a response whose last coding is not chunked
    // is delimited by the close (RFC 9112 section 6.3).
    std::string_view te = *transfer_encoding;
    const size_t comma = te.rfind(',');
    if (comma != std::string_view::npos) te.remove_prefix(comma + 1);
    phase_ = iequals(trim(te), "chunked") ? Phase::kChunkSize : Phase::kBodyClose;
    return status_;
  }
  if (length) {
    if (*length == 0) return done();
    remaining_ = *length;
    phase_ = Phase::kBodyLength;
    return status_;
  }
  phase_ = Phase::kBodyClose;
  return status_;
}

HttpResponseParser::Status HttpResponseParser::on_chunk_size(const std::string& line) {
  const std::string_view s = line;
  const size_t end = std::min(s.find(';'), s.size());
  const std::string_view digits = trim(s.substr(0, end));
  uint64_t n = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n, 16);
  if (digits.empty() || digits.size() > 15 || ec != std::errc() ||
      p != digits.data() + digits.size()) {
    return fail(fmt::format("invalid chunk size {}", quoted(line)));
  }
  remaining_ = n;
  phase_ = n == 0 ? Phase::kTrailers : Phase::kChunkData;
  return status_;
}

void HttpResponseParser::append_body(std::string_view data) {
  auto& body = response_.body;
  if (body.size() + data.size() > limit_) {
    body.append(data.substr(0, limit_ - body.size()));
    response_.body_truncated = true;
    done();  // what the check needs is in the first `limit` bytes, or nowhere we look
    return;
  }
  body.append(data);
}

Result http_verdict(const HttpResponse& response, const std::vector<uint16_t>& expect_status,
                    const Matcher& expect_body) {
  const uint16_t code = response.status;
  const bool status_ok =
      expect_status.empty()
          ? code >= 200 && code < 400
          : std::find(expect_status.begin(), expect_status.end(), code) != expect_status.end();
  const std::string got = response.reason_phrase.empty()
                              ? std::to_string(code)
                              : fmt::format("{} {}", code, response.reason_phrase);
  if (!status_ok) {
    const std::string wanted = expect_status.empty() ? "2xx or 3xx" : status_list(expect_status);
    return Result::failure(fmt::format("expected {}, got {}", wanted, got));
  }
  if (expect_body.empty()) return Result::success(fmt::format("HTTP {}", got));
  const auto m = expect_body.match(response.body);
  if (!m.error.empty()) return Result::failure(fmt::format("HTTP {} but {}", code, m.error));
  if (!m.matched) {
    return Result::failure(fmt::format(
        "HTTP {} but the body did not match {}{}", code, expect_body.describe(),
        response.body_truncated ? fmt::format(" (in its first {} bytes)", response.body.size())
                                : std::string()));
  }
  return Result::success(fmt::format("HTTP {}, body matched {}", code, expect_body.describe()));
}

}  // namespace lb::health
