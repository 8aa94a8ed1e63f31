// lib/log: the syslog datagram format, SyslogSink against a receiver bound
// by the test (as /dev/log would be), and setup() choosing the destinations.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include <lb/log/setup.h>
#include <lb/log/syslog_sink.h>

using lb::log::Severity;

namespace {

// A datagram socket bound at a fresh path: the test's syslog daemon.
class Receiver {
 public:
  Receiver() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lbd-log-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    path_ = dir_ + "/log.sock";
    bind_socket();
  }
  ~Receiver() {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  const std::string& path() const { return path_; }

  // Every datagram waiting, in order.
  std::vector<std::string> take() {
    std::vector<std::string> out;
    char buffer[16384];
    for (ssize_t n; (n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT)) >= 0;)
      out.emplace_back(buffer, static_cast<std::size_t>(n));
    return out;
  }
  // A syslog daemon restarting: its socket file is replaced.
  void restart() {
    ::close(fd_);
    ::unlink(path_.c_str());
    bind_socket();
  }
  void stop() {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }

 private:
  void bind_socket() {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }

  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

// "<PRI>Mmm dd hh:mm:ss " is 16 characters after the PRI: strip it to
// compare the rest exactly.
std::string without_timestamp(const std::string& datagram) {
  const std::size_t close = datagram.find('>');
  REQUIRE(close != std::string::npos);
  REQUIRE(datagram.size() > close + 16);
  return datagram.substr(0, close + 1) + datagram.substr(close + 17);
}

std::string pid_tag() {
  return "lbd[" + std::to_string(::getpid()) + "]: ";
}

}  // namespace

TEST_CASE("a datagram is RFC 3164 as syslog(3) sends it locally") {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  std::tm t{};
  t.tm_year = 2024 - 1900;
  t.tm_mon = 0;
  t.tm_mday = 5;
  t.tm_hour = 3;
  t.tm_min = 4;
  t.tm_sec = 5;
  const auto when = std::chrono::system_clock::from_time_t(::timegm(&t));
  CHECK(lb::log::format_syslog(3, Severity::kInformational, when, "lbd", 42, "ready") ==
        "<30>Jan  5 03:04:05 lbd[42]: ready");
  t.tm_mon = 11;
  t.tm_mday = 31;
  t.tm_hour = 23;
  const auto late = std::chrono::system_clock::from_time_t(::timegm(&t));
  CHECK(lb::log::format_syslog(23, Severity::kError, late, "lbd", 7, "x") ==
        "<187>Dec 31 23:04:05 lbd[7]: x");
  const std::string long_line(9000, 'a');
  CHECK(lb::log::format_syslog(3, Severity::kDebug, when, "lbd", 1, long_line).size() ==
        std::string("<31>Jan  5 03:04:05 lbd[1]: ").size() + 8000);
}

TEST_CASE("spdlog levels map to syslog severities") {
  CHECK(lb::log::severity_of(spdlog::level::trace) == Severity::kDebug);
  CHECK(lb::log::severity_of(spdlog::level::debug) == Severity::kDebug);
  CHECK(lb::log::severity_of(spdlog::level::info) == Severity::kInformational);
  CHECK(lb::log::severity_of(spdlog::level::warn) == Severity::kWarning);
  CHECK(lb::log::severity_of(spdlog::level::err) == Severity::kError);
  CHECK(lb::log::severity_of(spdlog::level::critical) == Severity::kCritical);
}

TEST_CASE("the sink delivers each line with ident, pid, facility and severity") {
  Receiver receiver;
  auto sink = std::make_shared<lb::log::SyslogSink>(receiver.path(), "lbd", 3);
  spdlog::logger logger("t", sink);
  logger.set_level(spdlog::level::debug);
  logger.info("lbd ready: {} service(s)", 2);
  logger.warn("lbctl reload refused (invalid_config): a\nb");
  logger.error("gone");
  logger.debug("detail");
  std::vector<std::string> got;
  for (const auto& d : receiver.take())
    got.push_back(without_timestamp(d));
  CHECK(got == std::vector<std::string>{
                   "<30>" + pid_tag() + "lbd ready: 2 service(s)",
                   "<28>" + pid_tag() + "lbctl reload refused (invalid_config): a",
                   "<28>" + pid_tag() + "b",
                   "<27>" + pid_tag() + "gone",
                   "<31>" + pid_tag() + "detail",
               });
  // The timestamp between PRI and ident is the message's, to the second.
  const auto before = std::chrono::system_clock::now();
  logger.info("x");
  const auto raw = receiver.take();
  REQUIRE(raw.size() == 1);
  CHECK(
      (raw[0] ==
           lb::log::format_syslog(3, Severity::kInformational, before, "lbd", ::getpid(), "x") ||
       raw[0] == lb::log::format_syslog(3, Severity::kInformational,
                                        before + std::chrono::seconds(1), "lbd", ::getpid(), "x")));
  CHECK(sink->dropped() == 0);
}

TEST_CASE("a restarted receiver is reconnected; without one, lines are counted as dropped") {
  Receiver receiver;
  auto sink = std::make_shared<lb::log::SyslogSink>(receiver.path(), "lbd", 16);
  spdlog::logger logger("t", sink);
  const auto received = [&] {
    std::vector<std::string> out;
    for (const auto& d : receiver.take())
      out.push_back(without_timestamp(d));
    return out;
  };
  logger.info("one");
  CHECK(received() == std::vector<std::string>{"<134>" + pid_tag() + "one"});
  receiver.restart();
  logger.info("two");
  CHECK(received() == std::vector<std::string>{"<134>" + pid_tag() + "two"});
  receiver.stop();
  logger.info("three");
  logger.info("four");
  CHECK(sink->dropped() == 2);
}

TEST_CASE("setup: syslog beside stderr, below the level nothing") {
  ::unsetenv("JOURNAL_STREAM");
  Receiver receiver;
  lb::config::LoggingConfig logging;
  logging.syslog = true;
  logging.syslog_socket = receiver.path();
  logging.syslog_facility = 19;
  logging.level = lb::config::LogLevel::kWarning;
  const auto where = lb::log::setup(logging);
  CHECK_FALSE(where.journal);
  REQUIRE(where.syslog);
  CHECK(where.summary == "stderr and syslog " + receiver.path() + " (facility local3)");
  spdlog::info("not at this level");
  spdlog::warn("refused");
  std::vector<std::string> got;
  for (const auto& d : receiver.take())
    got.push_back(without_timestamp(d));
  CHECK(got == std::vector<std::string>{"<156>" + pid_tag() + "refused"});
  lb::log::setup_early();
}

TEST_CASE("setup: when stderr is the journal, syslog is not used (no double logging)") {
  struct stat st {};
  REQUIRE(::fstat(2, &st) == 0);
  const std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
  CHECK(lb::log::stderr_is_journal());
  Receiver receiver;
  lb::config::LoggingConfig logging;
  logging.syslog = true;
  logging.syslog_socket = receiver.path();
  const auto where = lb::log::setup(logging);
  CHECK(where.journal);
  CHECK_FALSE(where.syslog);
  CHECK(where.summary ==
        "the systemd journal (stderr); logging.syslog not used: the journal has every message");
  spdlog::info("only on stderr");
  CHECK(receiver.take().empty());

  // An inherited variable naming another stream is not the journal.
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":1").c_str(), 1);
  CHECK_FALSE(lb::log::stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  CHECK_FALSE(lb::log::stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(lb::log::stderr_is_journal());
  lb::log::setup_early();
}
