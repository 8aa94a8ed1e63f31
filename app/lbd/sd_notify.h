// Telling systemd how lbd is doing (Type=notify services), as sd_notify(3)
// does: one datagram of "KEY=VALUE" lines to the socket NOTIFY_SOCKET names
// (a path, or "@name" for the abstract namespace). Without NOTIFY_SOCKET
// (not started by systemd) nothing is sent. A few lines instead of a
// libsystemd dependency.
//
// Control thread only.
#pragma once

#include <string_view>

namespace lb::daemon {

// Returns false when there is no NOTIFY_SOCKET or the datagram could not be
// sent (systemd then times the start out and says so: nothing to add here).
bool notify_systemd(std::string_view state);

}  // namespace lb::daemon
