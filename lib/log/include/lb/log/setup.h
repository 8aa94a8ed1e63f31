// Where lbd's log messages go, set from the `logging` section.
//
// stderr always: under systemd it is the journal (the unit's stdout/stderr),
// elsewhere the terminal or whatever the operator redirected it to. With
// `logging.syslog` a SyslogSink sends each message to the local syslog
// socket too - except when stderr already is the journal (systemd's
// JOURNAL_STREAM names it), where that would log everything twice: stderr
// lines then carry sd-daemon(3) priority prefixes ("<6>") instead, so the
// journal records each message's severity, and journald forwards to syslog.
//
// Control side only; call before other threads log.
#pragma once

#include <memory>
#include <string>

#include <lb/config/model.h>

namespace lb::log {

class SyslogSink;

// True when file descriptor 2 is the stream systemd set up to the journal:
// JOURNAL_STREAM ("DEV:INODE") matches fd 2's device and inode. An inherited
// variable whose stream was since redirected does not match.
bool stderr_is_journal();

struct Destinations {
  bool journal = false;                // stderr is the journal: priority prefixes
  std::shared_ptr<SyslogSink> syslog;  // set when messages also go to syslog
  // A line for the log saying where messages go ("stderr and syslog
  // /dev/log (facility daemon)").
  std::string summary;
};

// Before the configuration is read: stderr only, level info.
void setup_early();
// Replaces spdlog's default logger with one for `logging`.
Destinations setup(const config::LoggingConfig& logging);

}  // namespace lb::log
