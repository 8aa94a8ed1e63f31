// Send/expect over TCP, as Piranha's nanny and ldirectord's request/receive:
// connect, write the send string, read until the reply matches the expected
// string or regex, the server closes, or kHttpLimit bytes came without a
// match. An empty send string reads a banner (FTP's "220"); an empty expect
// succeeds once the send string is written; both empty is a connect check.
#include <lb/health/http.h>

#include "probes.h"
#include "stream_probe.h"

namespace lb::health::detail {

namespace {

class SendExpectProbe final : public StreamProbe {
 public:
  SendExpectProbe(CheckPtr check, const Endpoint& endpoint)
      : StreamProbe(endpoint, check->spec.timeout_ms, check->spec.send), check_(std::move(check)) {}

 private:
  std::optional<Result> on_connected() override {
    if (request().empty() && check_->expect.empty()) return Result::success("connected");
    return std::nullopt;
  }
  std::optional<Result> on_sent() override {
    if (!check_->expect.empty()) return std::nullopt;
    return Result::success(fmt::format("sent {} bytes", request().size()));
  }
  std::optional<Result> on_data(std::string_view bytes) override {
    const size_t room = kHttpLimit - reply_.size();
    reply_.append(bytes.substr(0, room));
    const auto m = check_->expect.match(reply_);
    if (!m.error.empty()) return Result::failure(m.error);
    if (m.matched)
      return Result::success(fmt::format("reply matched {}", check_->expect.describe()));
    if (reply_.size() == kHttpLimit) {
      return Result::failure(fmt::format("reply did not match {} in its first {} bytes: got {}",
                                         check_->expect.describe(), kHttpLimit, excerpt(reply_)));
    }
    return std::nullopt;
  }
  Result on_closed() override {
    if (reply_.empty()) {
      return Result::failure(fmt::format("the connection closed without a reply (expected {})",
                                         check_->expect.describe()));
    }
    return Result::failure(
        fmt::format("reply did not match {}: got {}", check_->expect.describe(), excerpt(reply_)));
  }

  CheckPtr check_;
  std::string reply_;
};

}  // namespace

std::unique_ptr<Probe> make_send_expect_probe(CheckPtr check, const Endpoint& endpoint) {
  return std::make_unique<SendExpectProbe>(std::move(check), endpoint);
}

}  // namespace lb::health::detail
