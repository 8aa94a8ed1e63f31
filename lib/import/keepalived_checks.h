// keepalived's real-server checkers as lbd health checks: TCP_CHECK,
// HTTP_GET, SSL_GET, MISC_CHECK and UDP_CHECK, with delay_loop,
// connect_timeout, connect_port, retry/nb_get_retry and virtualhost taken
// from the checker, else its real_server, else its virtual_server, else
// keepalived's defaults; inhibit_on_failure as quiescing; sorry_server.
// Every keyword that cannot carry over is a warning at its line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lb/sched/model.h>

#include "block_reader.h"
#include "values.h"

namespace lb::import::detail {

// The settings a virtual_server or real_server block gives its checkers.
struct KaDefaults {
  std::map<std::string, const Statement*, std::less<>> keys;
  const Statement* inhibit = nullptr;  // inhibit_on_failure
};

// Checker blocks (TCP_CHECK, HTTP_GET, ...), and the keywords that set
// their defaults at virtual_server or real_server level.
bool is_ka_checker(std::string_view key);
bool is_ka_check_setting(std::string_view key);
// Records a check setting of a virtual_server or real_server block, with a
// warning for those lbd has no equivalent of.
void add_ka_setting(Report& report, const Statement& s, std::string_view label,
                    KaDefaults& defaults);

// The check of a real server: its first checker lbd can run.
std::optional<health::CheckSpec> ka_real_check(
    Report& report, const std::vector<const Statement*>& checkers, const KaDefaults& virtual_server,
    const KaDefaults& real_server, const sched::RealServerSpec& real, const std::string& label);

// A virtual server's health once its real servers are read: one check for
// the service when every real server has the same, quiescing when
// inhibit_on_failure is set (`inhibit[i]` for real server i, at line
// `real_lines[i]`, or the virtual server's), the sorry server from
// `sorry.server` (sorry_server IP PORT) forwarded by `sorry.method`
// (sorry_server_lvs_method) or else `forward`, the virtual server's.
struct KaSorry {
  const Statement* server = nullptr;
  const Statement* method = nullptr;
};
void finish_ka_health(Report& report, sched::ServiceSpec& service,
                      const std::vector<const Statement*>& inhibit,
                      const std::vector<int>& real_lines, const KaDefaults& virtual_server,
                      const KaSorry& sorry, sched::ForwardMethod forward, const std::string& label);

}  // namespace lb::import::detail
