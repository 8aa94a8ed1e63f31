// The control protocol between lbd and its clients (lbctl, scripts).
//
// Framing: every message is one compact JSON object followed by '\n', so a
// reader needs no length prefix and `socat`/`nc -U` are usable by hand.
//   request: {"v":1,"cmd":"<name>","args":{...}}            (args optional)
//   reply:   {"v":1,"result":<any>}
//          | {"v":1,"error":{"code":"<snake_case>","message":"<text>"}}
// A request line longer than kMaxRequestBytes is refused with `too_large` and
// the connection closed: the server never buffers unbounded input.
//
// Pure functions, no I/O; safe to call from any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lb::ctl {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxRequestBytes = 65536;

// Error codes on the wire. Servers send all but the last; `bad_reply` is
// raised on the client side when lbd's answer itself cannot be understood.
namespace errc {
inline constexpr std::string_view kBadJson = "bad_json";
inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kUnsupportedVersion = "unsupported_version";
inline constexpr std::string_view kUnknownCommand = "unknown_command";
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kInternal = "internal";
inline constexpr std::string_view kBusy = "busy";        // too many clients connected
inline constexpr std::string_view kTimeout = "timeout";  // idle too long: closed
inline constexpr std::string_view kBadReply = "bad_reply";
}  // namespace errc

// An error with a protocol code. Handlers throw it to answer with that code;
// clients receive it back from decode_reply/call. what() is the message.
class CtlError : public std::runtime_error {
 public:
  CtlError(std::string_view code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

struct Request {
  std::string cmd;
  nlohmann::json args = nlohmann::json::object();  // always an object after decoding
};

// Each encode_* returns one frame: compact JSON plus the terminating '\n'.
// `args` may be null (omitted) or an object; anything else is a programming
// error and throws std::invalid_argument.
std::string encode_request(std::string_view cmd, const nlohmann::json& args = nullptr);
std::string encode_result(const nlohmann::json& result);
std::string encode_error(std::string_view code, std::string_view message);

// The decoders accept a line with or without its '\n'.
// decode_request throws CtlError with bad_json (not JSON, or not an object),
// unsupported_version (v present but not 1) or bad_request (missing or
// ill-typed v/cmd/args). Unknown extra members are ignored so that newer
// clients can add optional fields.
Request decode_request(std::string_view line);
// Returns `result`; throws CtlError with the server's code and message for an
// error reply, or with bad_reply/unsupported_version when the line is not a
// well-formed reply.
nlohmann::json decode_reply(std::string_view line);

}  // namespace lb::ctl
