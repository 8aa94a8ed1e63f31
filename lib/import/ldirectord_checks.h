// ldirectord's checks as lbd health checks: checktype, service, request and
// receive, checkport, the timeouts and interval, failurecount, quiescent,
// virtualhost, httpmethod, checkcommand, and the fallback server, each
// resolved as ldirectord resolves it (a virtual's setting, else the
// global one, else ldirectord's default; ld_setup and _check_real in
// ldirectord(8)'s source).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <lb/sched/model.h>

#include "values.h"

namespace lb::import::detail {

struct LdSetting {
  int line = 0;
  std::string value;  // as written, quotes removed
};
// key -> setting, for the global section or one virtual block.
using LdSettings = std::map<std::string, LdSetting, std::less<>>;

// Check settings a virtual block takes; of them, those the global section
// takes too (ldirectord refuses the others there).
bool is_ld_check_key(std::string_view key);
bool is_ld_global_check_key(std::string_view key);

// A real server's own request/receive pair ("real=... masq 1 "REQ", "RECV""),
// for the real server at `index` in the service.
struct LdRealRequest {
  size_t index = 0;
  int line = 0;
  std::string request;
  std::string receive;
};

// Fills service.health, service.sorry_server and the real servers' own
// checks, with a warning for every setting that cannot carry over.
// `comments` gets a line for each setting kept only as a comment.
void apply_ldirectord_checks(Report& report, const LdSettings& global, const LdSettings& local,
                             const std::string& label, int line, sched::ServiceSpec& service,
                             const std::vector<LdRealRequest>& real_requests,
                             std::vector<std::string>& comments);

}  // namespace lb::import::detail
