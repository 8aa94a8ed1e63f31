// Private to lib/health: the non-blocking sockets probes use.
#pragma once

#include <string>

#include <lb/health/probe.h>

#include "fd.h"

namespace lb::health::detail {

struct Opened {
  Fd fd;
  bool connected = false;  // connect() finished at once (UDP, sometimes loopback)
  std::string error;       // set when fd is empty: "connect: Network is unreachable"
};

// A non-blocking, close-on-exec socket of `type` (SOCK_STREAM, SOCK_DGRAM)
// bound to the endpoint's source when set, connecting to its address.
Opened open_socket(int type, const Endpoint& endpoint);

// The outcome of a non-blocking connect once the socket is writable: empty
// when it connected, "connect: Connection refused" otherwise.
std::string connect_error(int fd);

}  // namespace lb::health::detail
