#include <catch2/catch.hpp>
#include <string>

#include <lb/ctl/dispatcher.h>
#include <lb/ctl/protocol.h>

using lb::ctl::CtlError;
using lb::ctl::decode_reply;
using lb::ctl::decode_request;
using lb::ctl::encode_error;
using lb::ctl::encode_request;
using lb::ctl::encode_result;
using nlohmann::json;
namespace errc = lb::ctl::errc;

namespace {

// The code a decoder throws, or "" when it does not throw.
template <typename F>
std::string code_of(F&& f) {
  try {
    f();
  } catch (const CtlError& e) {
    return e.code();
  }
  return "";
}

std::string request_code(const std::string& line) {
  return code_of([&] { decode_request(line); });
}

}  // namespace

TEST_CASE("requests are one compact JSON object per line, version first") {
  CHECK(encode_request("status") == "{\"v\":1,\"cmd\":\"status\"}\n");
  CHECK(encode_request("services", json{{"numeric", true}}) ==
        "{\"v\":1,\"cmd\":\"services\",\"args\":{\"numeric\":true}}\n");
  CHECK_THROWS_AS(encode_request("x", json::array({1})), std::invalid_argument);
}

TEST_CASE("replies carry a result or a code and a message") {
  CHECK(encode_result(json{{"a", 1}}) == "{\"v\":1,\"result\":{\"a\":1}}\n");
  CHECK(encode_result(nullptr) == "{\"v\":1,\"result\":null}\n");
  CHECK(encode_error("bad_json", "the request is not valid JSON") ==
        "{\"v\":1,\"error\":{\"code\":\"bad_json\",\"message\":\"the request is not valid "
        "JSON\"}}\n");
}

TEST_CASE("a reply with invalid UTF-8 in a string is still encoded") {
  const std::string reply = encode_result(json{{"name", std::string("eth\xff")}});
  CHECK(reply.back() == '\n');
  CHECK(decode_reply(reply)["name"] == "eth\xEF\xBF\xBD");
}

TEST_CASE("decode_request reads command and arguments") {
  const auto r = decode_request("{\"v\":1,\"cmd\":\"stats\",\"args\":{\"lcore\":2}}\n");
  CHECK(r.cmd == "stats");
  CHECK(r.args == json{{"lcore", 2}});

  SECTION("args are optional and always an object") {
    CHECK(decode_request("{\"v\":1,\"cmd\":\"status\"}").args == json::object());
    CHECK(decode_request("{\"v\":1,\"cmd\":\"status\",\"args\":null}").args == json::object());
  }
  SECTION("unknown members are ignored and CRLF is accepted") {
    CHECK(decode_request("{\"cmd\":\"status\",\"v\":1,\"id\":7}\r\n").cmd == "status");
  }
}

TEST_CASE("decode_request rejects every malformed request with its code") {
  CHECK(request_code("") == errc::kBadJson);
  CHECK(request_code("not json") == errc::kBadJson);
  CHECK(request_code("{\"v\":1,") == errc::kBadJson);
  CHECK(request_code("\"\xff\"") == errc::kBadJson);  // invalid UTF-8
  CHECK(request_code("[1,2]") == errc::kBadJson);
  CHECK(request_code("42") == errc::kBadJson);
  CHECK(request_code("null") == errc::kBadJson);

  CHECK(request_code("{\"v\":2,\"cmd\":\"status\"}") == errc::kUnsupportedVersion);
  CHECK(request_code("{\"v\":0}") == errc::kUnsupportedVersion);

  CHECK(request_code("{\"cmd\":\"status\"}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":\"1\",\"cmd\":\"status\"}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":1.0,\"cmd\":\"status\"}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":1}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":1,\"cmd\":7}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":1,\"cmd\":\"\"}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":1,\"cmd\":\"x\",\"args\":[1]}") == errc::kBadRequest);
  CHECK(request_code("{\"v\":1,\"cmd\":\"x\",\"args\":\"a\"}") == errc::kBadRequest);
}

TEST_CASE("decode_request explains what is wrong") {
  try {
    decode_request("{\"v\":1,\"cmd\":\"x\",\"args\":[1]}");
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(std::string(e.what()) == "\"args\" must be a JSON object");
  }
  try {
    decode_request("{\"v\":3,\"cmd\":\"x\"}");
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(std::string(e.what()) == "protocol version 3 is not supported (this side speaks 1)");
  }
}

TEST_CASE("decode_reply returns the result") {
  CHECK(decode_reply(encode_result(json{{"services", 2}})) == json{{"services", 2}});
  CHECK(decode_reply("{\"v\":1,\"result\":[1,2]}") == json::array({1, 2}));
}

TEST_CASE("decode_reply throws the server's error code and message") {
  for (const std::string_view code :
       {errc::kBadJson, errc::kBadRequest, errc::kUnsupportedVersion, errc::kUnknownCommand,
        errc::kTooLarge, errc::kInternal, errc::kBusy, std::string_view("no_such_service")}) {
    try {
      decode_reply(encode_error(code, "what went wrong"));
      FAIL("no error for " << code);
    } catch (const CtlError& e) {
      CHECK(e.code() == code);
      CHECK(std::string(e.what()) == "what went wrong");
    }
  }
}

TEST_CASE("decode_reply rejects replies it cannot read") {
  const auto code = [](const std::string& line) { return code_of([&] { decode_reply(line); }); };
  CHECK(code("garbage") == errc::kBadReply);
  CHECK(code("[]") == errc::kBadReply);
  CHECK(code("{\"result\":1}") == errc::kBadReply);
  CHECK(code("{\"v\":1}") == errc::kBadReply);
  CHECK(code("{\"v\":1,\"error\":\"oops\"}") == errc::kBadReply);
  CHECK(code("{\"v\":2,\"result\":1}") == errc::kUnsupportedVersion);
}

TEST_CASE("Dispatcher routes by name and answers unknown commands") {
  lb::ctl::Dispatcher dispatcher;
  dispatcher.add("echo", [](const json& args) { return args; });
  dispatcher.add("status", [](const json&) { return json{{"ok", true}}; });
  CHECK_THROWS_AS(dispatcher.add("echo", [](const json&) { return json(); }),
                  std::invalid_argument);
  CHECK(dispatcher.names() == std::vector<std::string>{"echo", "status"});

  CHECK(dispatcher(decode_request("{\"v\":1,\"cmd\":\"echo\",\"args\":{\"x\":1}}")) ==
        json{{"x", 1}});
  try {
    dispatcher(decode_request("{\"v\":1,\"cmd\":\"reboot\"}"));
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(e.code() == errc::kUnknownCommand);
    CHECK(std::string(e.what()) == "unknown command 'reboot' (known: echo, status)");
  }
}
