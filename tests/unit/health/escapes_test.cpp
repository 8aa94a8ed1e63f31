#include <catch2/catch.hpp>

#include <random>

#include <lb/health/escapes.h>

using lb::health::decode_escapes;
using lb::health::encode_escapes;

TEST_CASE("decode_escapes turns Piranha's send string into bytes") {
  auto d = decode_escapes("GET / HTTP/1.0\\r\\n\\r\\n");
  REQUIRE(d);
  CHECK(*d.value == "GET / HTTP/1.0\r\n\r\n");
  CHECK(*decode_escapes("a\\tb\\nc").value == "a\tb\nc");
  CHECK(*decode_escapes("back\\\\slash").value == "back\\slash");
  // A backslash escapes whatever follows it.
  CHECK(*decode_escapes("say \\\"hi\\\" \\q").value == "say \"hi\" q");
  CHECK(*decode_escapes("").value == "");
  CHECK(*decode_escapes("plain").value == "plain");
}

TEST_CASE("decode_escapes takes \\xHH for binary payloads") {
  auto d = decode_escapes("\\x00\\x01\\xfF|");
  REQUIRE(d);
  CHECK(*d.value == std::string("\x00\x01\xff|", 4));
}

TEST_CASE("decode_escapes refuses a trailing backslash and a short \\x, naming the offset") {
  auto d = decode_escapes("quit\\");
  CHECK_FALSE(d);
  REQUIRE(d.errors.size() == 1);
  CHECK(d.errors[0] == "a backslash at offset 4 ends the string: nothing to escape");
  auto x = decode_escapes("ab\\x4");
  CHECK_FALSE(x);
  CHECK(x.errors[0] == "\\x at offset 2 needs two hex digits");
  CHECK_FALSE(decode_escapes("\\xg0"));
}

TEST_CASE("encode_escapes shows bytes printably and decode_escapes reverses it") {
  CHECK(encode_escapes("HTTP/1.0 200 OK\r\n") == "HTTP/1.0 200 OK\\r\\n");
  CHECK(encode_escapes(std::string("\x00\x7f\\", 3)) == "\\x00\\x7f\\\\");
  CHECK(encode_escapes("abcdefgh", 3) == "abc...");
  CHECK(encode_escapes("abc", 3) == "abc");

  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& b : bytes)
      b = static_cast<char>(rng() & 0xff);
    const auto back = decode_escapes(encode_escapes(bytes));
    REQUIRE(back);
    CHECK(*back.value == bytes);
  }
}
