#include <lb/log/setup.h>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <lb/log/syslog_sink.h>

namespace lb::log {

namespace {

constexpr const char* kTerminalPattern = "%Y-%m-%dT%H:%M:%S.%e lbd %l: %v";

// sd-daemon(3) "<N>" before every line of a message (the journal reads each
// line as an entry of its own); no timestamp, the journal adds one.
class JournalFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string prefix = fmt::format("<{}>", static_cast<int>(severity_of(msg.level)));
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::size_t start = 0;
    do {
      const std::size_t end = std::min(payload.find('\n', start), payload.size());
      dest.append(prefix.data(), prefix.data() + prefix.size());
      dest.append(payload.data() + start, payload.data() + end);
      dest.push_back('\n');
      start = end + 1;
    } while (start < payload.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JournalFormatter>();
  }
};

spdlog::level::level_enum level_of(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kDebug:
      return spdlog::level::debug;
    case config::LogLevel::kInfo:
      return spdlog::level::info;
    case config::LogLevel::kWarning:
      return spdlog::level::warn;
    case config::LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view facility_name(uint8_t code) {
  static constexpr std::array<std::string_view, 8> kLocal = {
      "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
  if (code >= 16 && code <= 23) return kLocal[code - 16];
  return code == kFacilityDaemon ? "daemon" : "?";
}

void install(std::vector<spdlog::sink_ptr> sinks, spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("lbd", sinks.begin(), sinks.end());
  logger->set_level(level);
  // Every message is a state change worth keeping: a crash must not lose the
  // last ones in a buffer.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

void setup_early() {
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (stderr_is_journal()) {
    err->set_formatter(std::make_unique<JournalFormatter>());
  } else {
    err->set_pattern(kTerminalPattern);
  }
  install({err}, spdlog::level::info);
}

Destinations setup(const config::LoggingConfig& logging) {
  Destinations out;
  out.journal = stderr_is_journal();
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::vector<spdlog::sink_ptr> sinks{err};
  if (out.journal) {
    err->set_formatter(std::make_unique<JournalFormatter>());
    out.summary = "the systemd journal (stderr)";
    if (logging.syslog) out.summary += "; logging.syslog not used: the journal has every message";
  } else {
    err->set_pattern(kTerminalPattern);
    out.summary = "stderr";
    if (logging.syslog) {
      out.syslog =
          std::make_shared<SyslogSink>(logging.syslog_socket, "lbd", logging.syslog_facility);
      sinks.push_back(out.syslog);
      out.summary += fmt::format(" and syslog {} (facility {})", logging.syslog_socket,
                                 facility_name(logging.syslog_facility));
    }
  }
  install(std::move(sinks), level_of(logging.level));
  return out;
}

}  // namespace lb::log
