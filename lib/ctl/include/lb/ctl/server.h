// ControlServer: lbd's end of the control socket.
//
// Owns a listening Unix stream socket and its clients; never blocks. The owner
// polls fd() (an epoll descriptor, readable whenever work is pending) in its
// own event loop and calls process(), which accepts, reads, dispatches each
// complete request line to the handler and writes replies, all with
// non-blocking I/O and per-client buffers.
//
// Threading: single-threaded. Construct it anywhere, then only one thread may
// call process() (and the destructor) at a time. The handler runs on that
// thread, synchronously: a slow handler delays every client.
//
// Invariants: one misbehaving client (malformed or oversized requests, never
// reading its replies, vanishing mid-reply) affects only itself; at most
// max_clients connections are served, extra ones get a `busy` error and are
// closed; a client that makes no progress for idle_timeout is closed (with a
// `timeout` error when it can still read one), so connections that are
// opened and abandoned, or that dribble a request and stall, cannot hold the
// slots forever and lock operators out; a client is answered in the order it
// asked.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <lb/ctl/protocol.h>

namespace lb::ctl {

struct ServerOptions {
  // Group to own the socket file (a name, or a numeric id when no group has
  // that name); empty keeps the process's group. The group must exist: a typo
  // would otherwise silently lock operators out.
  std::string group;
  mode_t mode = 0660;
  std::size_t max_clients = 64;
  // Output a client may leave unread before the server stops reading its
  // further requests (it resumes once the client catches up).
  std::size_t max_pending_output = 4u << 20;
  // How long a client may go without progress: no complete request received
  // and no reply byte taken by its socket. Partial lines do not count, so a
  // request dribbled a byte at a time must still complete within it.
  std::chrono::milliseconds idle_timeout{60000};
};

class ControlServer {
 public:
  // Returns the result for a request, or throws CtlError (sent as that error)
  // or any other std::exception (sent as `internal`).
  using Handler = std::function<nlohmann::json(const Request&)>;

  // Creates the parent directory (0755) if missing, replaces a stale socket
  // file, binds, applies mode and group, then listens. Throws
  // std::runtime_error with the path and the reason on failure; refuses to
  // replace a socket another process is still serving, or a non-socket file.
  ControlServer(std::string path, Handler handler, ServerOptions options = {});
  ~ControlServer();  // closes every client and unlinks the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  int fd() const noexcept;
  void process();

  const std::string& path() const noexcept;
  std::size_t client_count() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lb::ctl
