// ControlServer and ControlClient over a real Unix socket: the server loop on
// its own thread (as in lbd), clients on the test thread.
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <optional>

#include <lb/ctl/client.h>
#include <lb/ctl/protocol.h>

#include "ctl_fixture.h"

using lb::ctl::ControlClient;
using lb::ctl::CtlError;
using lb::test::ServerThread;
using lb::test::TempDir;
using nlohmann::json;
namespace errc = lb::ctl::errc;
using namespace std::chrono_literals;

namespace {

// A handler with the commands the tests need. `clients` reports the server's
// connection count from the server's own thread.
struct TestServer {
  explicit TestServer(const std::string& path, lb::ctl::ServerOptions options = {}) {
    dispatcher.add("echo", [](const json& args) { return args; });
    dispatcher.add("fail", [](const json&) -> json {
      throw CtlError("no_such_service", "no service 10.0.0.1:80");
    });
    dispatcher.add("boom", [](const json&) -> json { throw std::runtime_error("kaboom"); });
    dispatcher.add("big", [](const json& args) {
      return json(std::string(args.value("bytes", std::size_t{0}), 'x'));
    });
    dispatcher.add("clients", [this](const json&) { return thread->client_count(); });
    thread.emplace(path, std::cref(dispatcher), std::move(options));
  }
  lb::ctl::Dispatcher dispatcher;
  std::optional<ServerThread> thread;
};

std::string error_code(ControlClient& client, const std::string& raw) {
  client.send_raw(raw);
  try {
    lb::ctl::decode_reply(client.read_line());
  } catch (const CtlError& e) {
    return e.code();
  }
  return "";
}

// A raw connection, for clients that misbehave.
int raw_connect(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

std::size_t clients(const std::string& path) {
  return lb::ctl::call(path, "clients").get<std::size_t>();
}

}  // namespace

TEST_CASE("a call returns the handler's result") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  CHECK(lb::ctl::call(dir.file("lbd.sock"), "echo", {{"x", 1}}) == json{{"x", 1}});
  CHECK(lb::ctl::call(dir.file("lbd.sock"), "echo") == json::object());
}

TEST_CASE("one connection carries several requests, answered in order") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  ControlClient client(dir.file("lbd.sock"));
  for (int i = 0; i < 5; ++i)
    CHECK(client.call("echo", {{"i", i}}) == json{{"i", i}});

  SECTION("pipelined in one write") {
    client.send_raw(lb::ctl::encode_request("echo", {{"n", 1}}) +
                    lb::ctl::encode_request("echo", {{"n", 2}}) +
                    lb::ctl::encode_request("echo", {{"n", 3}}));
    for (int n = 1; n <= 3; ++n)
      CHECK(lb::ctl::decode_reply(client.read_line()) == json{{"n", n}});
  }
}

TEST_CASE("bad requests get their error code and the connection goes on") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  ControlClient client(dir.file("lbd.sock"));

  CHECK(error_code(client, "this is not json\n") == errc::kBadJson);
  CHECK(error_code(client, "[1,2,3]\n") == errc::kBadJson);
  CHECK(error_code(client, "\"status\"\n") == errc::kBadJson);
  CHECK(error_code(client, "{\"v\":2,\"cmd\":\"echo\"}\n") == errc::kUnsupportedVersion);
  CHECK(error_code(client, "{\"v\":1}\n") == errc::kBadRequest);
  CHECK(error_code(client, "{\"v\":1,\"cmd\":\"echo\",\"args\":[]}\n") == errc::kBadRequest);
  CHECK(error_code(client, "{\"v\":1,\"cmd\":\"reboot\"}\n") == errc::kUnknownCommand);
  CHECK(error_code(client, "\n") == errc::kBadJson);

  CHECK(client.call("echo", {{"still", "here"}}) == json{{"still", "here"}});
}

TEST_CASE("handler errors become error replies") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  ControlClient client(dir.file("lbd.sock"));
  try {
    client.call("fail");
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(e.code() == "no_such_service");
    CHECK(std::string(e.what()) == "no service 10.0.0.1:80");
  }
  try {
    client.call("boom");
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(e.code() == errc::kInternal);
    CHECK(std::string(e.what()) == "internal error: kaboom");
  }
  CHECK(client.call("echo", {{"a", 1}}) == json{{"a", 1}});
}

TEST_CASE("a request of exactly the maximum size is served, one byte more is refused") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  const std::string frame = lb::ctl::encode_request("echo", {{"pad", ""}});
  const std::size_t pad = lb::ctl::kMaxRequestBytes - (frame.size() - 1);
  {
    ControlClient client(dir.file("lbd.sock"));
    const std::string line = lb::ctl::encode_request("echo", {{"pad", std::string(pad, 'p')}});
    REQUIRE(line.size() == lb::ctl::kMaxRequestBytes + 1);
    client.send_raw(line);
    CHECK(lb::ctl::decode_reply(client.read_line())["pad"].get<std::string>().size() == pad);
  }
  {
    ControlClient client(dir.file("lbd.sock"));
    CHECK(error_code(client, lb::ctl::encode_request(
                                 "echo", {{"pad", std::string(pad + 1, 'p')}})) == errc::kTooLarge);
    CHECK_THROWS(client.read_line());  // closed by the server
  }
}

TEST_CASE("an oversized request is refused, the connection closed, the server unharmed") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  ControlClient other(dir.file("lbd.sock"));
  CHECK(other.call("echo", {{"before", 1}}) == json{{"before", 1}});

  ControlClient client(dir.file("lbd.sock"));
  client.send_raw(std::string(70000, 'a'));  // no newline anywhere
  try {
    lb::ctl::decode_reply(client.read_line());
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(e.code() == errc::kTooLarge);
  }
  CHECK_THROWS(client.read_line());  // closed by the server

  CHECK(other.call("echo", {{"after", 1}}) == json{{"after", 1}});
  CHECK(lb::ctl::call(dir.file("lbd.sock"), "echo", {{"new", 1}}) == json{{"new", 1}});
}

TEST_CASE("clients that vanish mid-request or mid-reply are dropped quietly") {
  TempDir dir;
  const std::string path = dir.file("lbd.sock");
  TestServer server(path);
  REQUIRE(clients(path) == 1);  // the asking connection itself

  SECTION("mid-request") {
    const int fd = raw_connect(path);
    const std::string partial = "{\"v\":1,\"cmd\":\"ec";
    REQUIRE(::write(fd, partial.data(), partial.size()) == static_cast<ssize_t>(partial.size()));
    REQUIRE(lb::test::eventually([&] { return clients(path) == 2; }));
    ::close(fd);
  }
  SECTION("mid-reply") {
    const int fd = raw_connect(path);
    const std::string request = lb::ctl::encode_request("big", {{"bytes", 16 << 20}});
    REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    char first[16];
    REQUIRE(::read(fd, first, sizeof(first)) > 0);  // the reply has started
    ::close(fd);
  }
  CHECK(lb::test::eventually([&] { return clients(path) == 1; }));
  CHECK(lb::ctl::call(path, "echo", {{"ok", true}}) == json{{"ok", true}});
}

TEST_CASE("a client that half-closes after its request still gets the reply") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"));
  const int fd = raw_connect(dir.file("lbd.sock"));
  const std::string request = lb::ctl::encode_request("echo", {{"x", 2}});
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[256];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0;)
    reply.append(buffer, n);
  ::close(fd);
  CHECK(reply == lb::ctl::encode_result({{"x", 2}}));
}

TEST_CASE("replies held back by a slow reader are all delivered, in order") {
  TempDir dir;
  lb::ctl::ServerOptions options;
  options.max_pending_output = 4096;  // far below the 600 kB of replies
  TestServer server(dir.file("lbd.sock"), options);
  const int fd = raw_connect(dir.file("lbd.sock"));
  std::string burst;
  for (int i = 0; i < 200; ++i) {
    burst += lb::ctl::encode_request("echo", {{"i", i}, {"pad", std::string(3000, 'z')}});
  }
  // The server stops reading while its replies wait, so the requests are
  // written while the replies are read, as a pipelining client must.
  std::thread writer([&] {
    for (std::size_t done = 0; done < burst.size();) {
      const ssize_t n = ::write(fd, burst.data() + done, burst.size() - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  });
  std::string received;
  int replies = 0;
  char buffer[65536];
  while (replies < 200) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    REQUIRE(n > 0);
    received.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = received.find('\n')) != std::string::npos; ++replies) {
      CHECK(lb::ctl::decode_reply(received.substr(0, nl))["i"] == replies);
      received.erase(0, nl + 1);
    }
  }
  writer.join();
  ::close(fd);
  CHECK(lb::ctl::call(dir.file("lbd.sock"), "echo", {{"done", 1}}) == json{{"done", 1}});
}

TEST_CASE("connections beyond the limit are told so and closed") {
  TempDir dir;
  lb::ctl::ServerOptions options;
  options.max_clients = 2;
  TestServer server(dir.file("lbd.sock"), options);
  std::optional<ControlClient> a(std::in_place, dir.file("lbd.sock"));
  ControlClient b(dir.file("lbd.sock"));
  CHECK(a->call("echo", {{"a", 1}}) == json{{"a", 1}});
  CHECK(b.call("echo", {{"b", 1}}) == json{{"b", 1}});
  try {
    lb::ctl::call(dir.file("lbd.sock"), "echo");
    FAIL("no error");
  } catch (const CtlError& e) {
    CHECK(e.code() == errc::kBusy);
  }
  a.reset();
  CHECK(lb::test::eventually([&] {
    try {
      return lb::ctl::call(dir.file("lbd.sock"), "echo", {{"c", 1}}) == json{{"c", 1}};
    } catch (const CtlError&) {
      return false;
    }
  }));
}

TEST_CASE("the socket file: directory, mode, group, stale files, cleanup") {
  TempDir dir;
  const std::string path = dir.file("run/lbd/lbd.sock");
  {
    TestServer server(path);
    struct stat st {};
    REQUIRE(::stat(dir.file("run/lbd").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0660);

    SECTION("a live socket is not taken over") {
      CHECK_THROWS_WITH(TestServer(path), Catch::Contains("another process is serving it"));
      CHECK(lb::ctl::call(path, "echo", {{"x", 1}}) == json{{"x", 1}});
    }
  }
  CHECK(::access(path.c_str(), F_OK) != 0);  // unlinked by the destructor

  SECTION("a stale socket is replaced") {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    ::close(fd);  // the file stays, nobody listens
    TestServer server(path);
    CHECK(lb::ctl::call(path, "echo", {{"y", 1}}) == json{{"y", 1}});
  }
  SECTION("a file that is not a socket is left alone") {
    std::FILE* file = std::fopen(path.c_str(), "w");
    REQUIRE(file != nullptr);
    std::fclose(file);
    CHECK_THROWS_WITH(TestServer(path), Catch::Contains("exists and is not a socket"));
    CHECK(::access(path.c_str(), F_OK) == 0);
  }
  SECTION("the group must exist") {
    lb::ctl::ServerOptions options;
    options.group = "no-such-group-lbctl-test";
    CHECK_THROWS_WITH(TestServer(path, options),
                      "group 'no-such-group-lbctl-test' does not exist (control socket group)");
  }
  SECTION("the socket is given to the group") {
    const group* own = ::getgrgid(::getegid());
    REQUIRE(own != nullptr);
    lb::ctl::ServerOptions options;
    options.group = own->gr_name;
    TestServer server(path, options);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(st.st_gid == own->gr_gid);
  }
}

TEST_CASE("client errors name the socket and the reason") {
  TempDir dir;
  const std::string path = dir.file("missing.sock");
  CHECK_THROWS_WITH(
      lb::ctl::call(path, "status"),
      "cannot connect to lbd at " + path + ": No such file or directory (is lbd running?)");

  SECTION("a server that never answers times out") {
    lb::ctl::Dispatcher dispatcher;
    lb::ctl::ControlServer idle(dir.file("idle.sock"),
                                std::cref(dispatcher));  // nobody calls process()
    CHECK_THROWS_WITH(lb::ctl::call(dir.file("idle.sock"), "status", {}, 200ms),
                      "lbd at " + dir.file("idle.sock") + " did not reply within 200 ms");
  }
}

namespace {

// Everything the server sends until it closes the connection.
std::string read_to_eof(int fd) {
  std::string out;
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof(buffer))) > 0;)
    out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

lb::ctl::ServerOptions with_idle_timeout(std::chrono::milliseconds timeout) {
  lb::ctl::ServerOptions options;
  options.idle_timeout = timeout;
  return options;
}

}  // namespace

TEST_CASE("a client that sends nothing is told so and closed after the idle timeout") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"), with_idle_timeout(200ms));
  const int fd = raw_connect(dir.file("lbd.sock"));
  CHECK(read_to_eof(fd) ==
        lb::ctl::encode_error(errc::kTimeout, "no request for 200 ms; closing the connection"));
  ::close(fd);
  CHECK(lb::test::eventually([&] { return clients(dir.file("lbd.sock")) == 1; }));
}

TEST_CASE("a request dribbled without its newline is closed after the idle timeout") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"), with_idle_timeout(600ms));
  const int fd = raw_connect(dir.file("lbd.sock"));
  // Bytes keep arriving, but only a complete request counts as progress.
  const std::string partial = "{\"v\":1,\"cm";
  for (char c : partial) {
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(read_to_eof(fd) ==
        lb::ctl::encode_error(errc::kTimeout,
                              "request incomplete after 600 ms (10 bytes without a newline); "
                              "closing the connection"));
  ::close(fd);
}

TEST_CASE("a client asking at least once per idle timeout stays connected") {
  TempDir dir;
  TestServer server(dir.file("lbd.sock"), with_idle_timeout(1000ms));
  ControlClient client(dir.file("lbd.sock"));
  for (int i = 0; i < 25; ++i) {
    CHECK(client.call("echo", {{"i", i}}) == json{{"i", i}});
    std::this_thread::sleep_for(100ms);
  }
  CHECK(client.call("clients") == 1);
}

TEST_CASE("a client that never reads its replies is closed once they stop draining") {
  TempDir dir;
  lb::ctl::ServerOptions options = with_idle_timeout(300ms);
  options.max_pending_output = 64 << 10;
  TestServer server(dir.file("lbd.sock"), options);
  const int fd = raw_connect(dir.file("lbd.sock"));
  // Far more replies than the socket buffers and max_pending_output hold: the
  // server stops reading this client, then closes it.
  const std::string request = lb::ctl::encode_request("big", {{"bytes", 1 << 20}});
  const int flags = ::fcntl(fd, F_GETFL);
  REQUIRE(::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
  for (int i = 0; i < 64; ++i) {
    if (::write(fd, request.data(), request.size()) <= 0) break;
  }
  CHECK(lb::test::eventually([&] { return clients(dir.file("lbd.sock")) == 1; }));
  ::close(fd);
  CHECK(lb::ctl::call(dir.file("lbd.sock"), "echo", {{"ok", 1}}) == json{{"ok", 1}});
}

TEST_CASE("abandoned connections free their slots: the limit cannot lock operators out") {
  TempDir dir;
  lb::ctl::ServerOptions options = with_idle_timeout(300ms);
  options.max_clients = 4;
  TestServer server(dir.file("lbd.sock"), options);
  std::vector<int> stalled;
  for (int i = 0; i < 4; ++i)
    stalled.push_back(raw_connect(dir.file("lbd.sock")));
  REQUIRE(lb::test::eventually([&] {
    try {
      lb::ctl::call(dir.file("lbd.sock"), "echo");
      return false;
    } catch (const CtlError& e) {
      return e.code() == errc::kBusy &&
             std::string(e.what()) == "too many control clients (limit 4)";
    }
  }));
  CHECK(lb::test::eventually([&] {
    try {
      return lb::ctl::call(dir.file("lbd.sock"), "echo", {{"in", 1}}) == json{{"in", 1}};
    } catch (const CtlError&) {
      return false;
    }
  }));
  for (int fd : stalled)
    ::close(fd);
}

TEST_CASE("the socket group may be given by number") {
  TempDir dir;
  lb::ctl::ServerOptions options;
  options.group = std::to_string(::getegid());
  TestServer server(dir.file("lbd.sock"), options);
  struct stat st {};
  REQUIRE(::stat(dir.file("lbd.sock").c_str(), &st) == 0);
  CHECK(st.st_gid == ::getegid());
  options.group = "4294967";  // numeric, but no such group
  CHECK_THROWS_WITH(TestServer(dir.file("other.sock"), options),
                    "group '4294967' does not exist (control socket group)");
}

TEST_CASE("an idle timeout must be positive") {
  TempDir dir;
  CHECK_THROWS_WITH(TestServer(dir.file("lbd.sock"), with_idle_timeout(0ms)),
                    "ControlServer needs a positive idle timeout");
}
