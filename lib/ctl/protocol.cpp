#include <fmt/format.h>

#include <lb/ctl/protocol.h>

namespace lb::ctl {

namespace {

using nlohmann::json;

// Replies may carry strings lbd did not produce itself (interface names, file
// paths); invalid UTF-8 must not turn a reply into an exception.
std::string compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Members in a fixed order, "v" first, so that a person reading the socket
// (socat, strace) sees the version and the command up front; json objects
// would sort their keys.
std::string frame(std::string_view members) {
  std::string out = fmt::format("{{\"v\":{},{}}}", kProtocolVersion, members);
  out.push_back('\n');
  return out;
}

std::string_view strip_newline(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

json parse_object(std::string_view line, std::string_view code, std::string_view what) {
  json message = json::parse(strip_newline(line), nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) throw CtlError(code, fmt::format("{} is not valid JSON", what));
  if (!message.is_object()) throw CtlError(code, fmt::format("{} is not a JSON object", what));
  return message;
}

// Version first: a future client whose message layout differs entirely must be
// told about the version, not about some missing field.
void check_version(const json& message, std::string_view missing_code, std::string_view what) {
  const auto v = message.find("v");
  if (v == message.end()) {
    throw CtlError(missing_code, fmt::format("{} has no protocol version \"v\"", what));
  }
  if (!v->is_number_integer()) {
    throw CtlError(missing_code, fmt::format("\"v\" in {} must be an integer", what));
  }
  if (v->get<long long>() != kProtocolVersion) {
    throw CtlError(errc::kUnsupportedVersion,
                   fmt::format("protocol version {} is not supported (this side speaks {})",
                               v->dump(), kProtocolVersion));
  }
}

}  // namespace

std::string encode_request(std::string_view cmd, const json& args) {
  std::string members = "\"cmd\":" + compact(cmd);
  if (!args.is_null()) {
    if (!args.is_object()) throw std::invalid_argument("request args must be a JSON object");
    members += ",\"args\":" + compact(args);
  }
  return frame(members);
}

std::string encode_result(const json& result) {
  return frame("\"result\":" + compact(result));
}

std::string encode_error(std::string_view code, std::string_view message) {
  return frame("\"error\":" + compact({{"code", code}, {"message", message}}));
}

Request decode_request(std::string_view line) {
  const json message = parse_object(line, errc::kBadJson, "the request");
  check_version(message, errc::kBadRequest, "the request");

  Request request;
  const auto cmd = message.find("cmd");
  if (cmd == message.end()) throw CtlError(errc::kBadRequest, "the request has no \"cmd\"");
  if (!cmd->is_string() || cmd->get_ref<const std::string&>().empty()) {
    throw CtlError(errc::kBadRequest, "\"cmd\" must be a non-empty string");
  }
  request.cmd = cmd->get<std::string>();

  const auto args = message.find("args");
  if (args != message.end() && !args->is_null()) {
    if (!args->is_object()) throw CtlError(errc::kBadRequest, "\"args\" must be a JSON object");
    request.args = *args;
  }
  return request;
}

json decode_reply(std::string_view line) {
  json message = parse_object(line, errc::kBadReply, "lbd's reply");
  check_version(message, errc::kBadReply, "lbd's reply");

  if (const auto error = message.find("error"); error != message.end()) {
    const auto code = error->is_object() ? error->find("code") : error->end();
    const auto text = error->is_object() ? error->find("message") : error->end();
    if (code == error->end() || !code->is_string()) {
      throw CtlError(errc::kBadReply, "lbd's error reply has no \"code\"");
    }
    const std::string message_text =
        text != error->end() && text->is_string() ? text->get<std::string>() : std::string();
    throw CtlError(code->get<std::string>(), message_text);
  }
  const auto result = message.find("result");
  if (result == message.end()) {
    throw CtlError(errc::kBadReply, "lbd's reply has neither \"result\" nor \"error\"");
  }
  return std::move(*result);
}

}  // namespace lb::ctl
