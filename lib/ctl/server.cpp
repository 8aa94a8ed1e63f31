#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <lb/ctl/server.h>

#include "unique_fd.h"

namespace lb::ctl {

namespace {

// epoll user data of the listening socket; clients get ids from 1 upwards, so
// an event still queued for a client closed earlier in the same batch can
// never be mistaken for a newer client that reused its descriptor number.
constexpr uint64_t kListenId = 0;
// epoll user data of the idle-sweep timer; client ids never get this high.
constexpr uint64_t kTimerId = UINT64_MAX;
constexpr int kMaxEventsPerCall = 64;
constexpr int kMaxAcceptsPerCall = 64;
constexpr std::size_t kReadChunk = 16384;
// Bytes read from one client per process() call, so that a client streaming
// requests cannot starve the others.
constexpr std::size_t kReadBudget = 256 * 1024;

[[noreturn]] void fail(const std::string& path, std::string_view what, int err) {
  throw std::runtime_error(
      fmt::format("control socket {}: {}: {}", path, what, std::strerror(err)));
}

sockaddr_un make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error(fmt::format("control socket path must be 1 to {} bytes long: '{}'",
                                         sizeof(addr.sun_path) - 1, path));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// mkdir -p of the socket's directory, each created level 0755 whatever the
// umask, so that the group set on the socket can reach it.
void ensure_parent_directory(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  const std::string dir = path.substr(0, slash);
  for (std::size_t end = dir.find('/', 1);; end = dir.find('/', end + 1)) {
    const std::string prefix = dir.substr(0, end);
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      ::chmod(prefix.c_str(), 0755);
    } else if (errno != EEXIST) {
      fail(path, fmt::format("cannot create directory {}", prefix), errno);
    }
    if (end == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) fail(path, fmt::format("cannot use {}", dir), errno);
  if (!S_ISDIR(st.st_mode)) fail(path, fmt::format("{} is not a directory", dir), ENOTDIR);
}

// A group by name, or by number when no group has that name (as chgrp does).
gid_t lookup_group(const std::string& name) {
  const bool numeric =
      !name.empty() && name.size() <= 9 &&
      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  const auto look = [&](auto&& get) {
    int rc;
    while ((rc = get()) == ERANGE)
      buffer.resize(buffer.size() * 2);
    if (rc != 0) {
      throw std::runtime_error(
          fmt::format("cannot look up group '{}': {}", name, std::strerror(rc)));
    }
  };
  look([&] { return ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found); });
  if (found == nullptr && numeric) {
    const auto gid = static_cast<gid_t>(std::stoul(name));
    look([&] { return ::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found); });
  }
  if (found == nullptr) {
    throw std::runtime_error(fmt::format("group '{}' does not exist (control socket group)", name));
  }
  return entry.gr_gid;
}

// A socket file left by a crashed lbd is replaced; a live one, or a file that
// is not a socket, is never touched.
void remove_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    fail(path, "cannot inspect the existing file", errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error(fmt::format(
        "control socket {}: the path exists and is not a socket; not replacing it", path));
  }
  // Non-blocking, so that a live server with a full backlog (EAGAIN) cannot
  // stall startup; only "connection refused" proves the file stale.
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe) fail(path, "socket()", errno);
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 ||
      errno == EAGAIN) {
    throw std::runtime_error(fmt::format(
        "control socket {}: another process is serving it (is lbd already running?)", path));
  }
  if (errno == ENOENT) return;  // removed meanwhile
  if (errno != ECONNREFUSED) fail(path, "cannot tell whether the existing socket is in use", errno);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    fail(path, "cannot remove the stale socket", errno);
  }
}

}  // namespace

struct ControlServer::Impl {
  using Clock = std::chrono::steady_clock;

  struct Client {
    UniqueFd fd;
    std::string in;
    std::string out;
    std::size_t out_pos = 0;
    bool peer_closed = false;        // EOF: answer what is complete, then close
    bool close_after_flush = false;  // protocol violation: send the error, then close
    uint32_t events = 0;             // interest currently registered with epoll
    // Accepted, or last complete request or reply byte taken: the idle clock.
    Clock::time_point last_progress;

    std::size_t pending_output() const { return out.size() - out_pos; }
  };

  std::string path;
  Handler handler;
  ServerOptions options;
  UniqueFd listen_fd;
  UniqueFd epoll_fd;
  UniqueFd spare_fd;  // released to shed a connection when out of descriptors
  UniqueFd timer_fd;  // periodic idle sweep, armed only while clients exist
  bool timer_armed = false;
  ino_t socket_inode = 0;
  uint64_t next_id = kListenId + 1;
  std::unordered_map<uint64_t, Client> clients;

  void listen_on_path();
  void accept_clients();
  void shed_one_connection();
  void serve(uint64_t id, uint32_t events);
  // read_input and flush_output return false when the client is gone (erased).
  bool read_input(uint64_t id, Client& c);
  void dispatch_lines(Client& c);
  bool flush_output(uint64_t id, Client& c);
  void update_interest(uint64_t id, Client& c);
  void close_idle_clients();
  void arm_timer(bool on);
  void drop(uint64_t id) { clients.erase(id); }
  std::string answer(std::string_view line) const;
};

void ControlServer::Impl::listen_on_path() {
  const sockaddr_un addr = make_address(path);
  ensure_parent_directory(path);
  const gid_t gid = options.group.empty() ? gid_t(-1) : lookup_group(options.group);

  listen_fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd) fail(path, "socket()", errno);
  remove_stale_socket(path, addr);
  if (::bind(listen_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    fail(path, "bind", errno);
  }
  // Nobody can connect before listen(), so setting the mode after bind leaves
  // no window in which a wider umask-derived mode is usable.
  try {
    if (::chmod(path.c_str(), options.mode) != 0) fail(path, "chmod", errno);
    if (gid != gid_t(-1) && ::chown(path.c_str(), uid_t(-1), gid) != 0) {
      fail(path, fmt::format("cannot give it to group '{}'", options.group), errno);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) fail(path, "stat", errno);
    socket_inode = st.st_ino;
    if (::listen(listen_fd.get(), SOMAXCONN) != 0) fail(path, "listen", errno);
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
}

ControlServer::ControlServer(std::string path, Handler handler, ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = std::move(path);
  s.handler = std::move(handler);
  s.options = std::move(options);
  if (!s.handler) throw std::invalid_argument("ControlServer needs a handler");
  if (s.options.idle_timeout.count() <= 0) {
    throw std::invalid_argument("ControlServer needs a positive idle timeout");
  }

  s.epoll_fd.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!s.epoll_fd) fail(s.path, "epoll_create1", errno);
  s.spare_fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  s.timer_fd.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!s.timer_fd) fail(s.path, "timerfd_create", errno);
  s.listen_on_path();

  for (auto [fd, id] : {std::pair{s.listen_fd.get(), kListenId}, {s.timer_fd.get(), kTimerId}}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = id;
    if (::epoll_ctl(s.epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      const int err = errno;
      ::unlink(s.path.c_str());
      fail(s.path, "epoll_ctl", err);
    }
  }
}

ControlServer::~ControlServer() {
  impl_->clients.clear();
  impl_->listen_fd.reset();
  // Only remove the file if it is still ours: a newer lbd may have replaced it.
  struct stat st {};
  if (::lstat(impl_->path.c_str(), &st) == 0 && st.st_ino == impl_->socket_inode) {
    ::unlink(impl_->path.c_str());
  }
}

int ControlServer::fd() const noexcept {
  return impl_->epoll_fd.get();
}
const std::string& ControlServer::path() const noexcept {
  return impl_->path;
}
std::size_t ControlServer::client_count() const noexcept {
  return impl_->clients.size();
}

void ControlServer::process() {
  std::array<epoll_event, kMaxEventsPerCall> events{};
  const int n = ::epoll_wait(impl_->epoll_fd.get(), events.data(), kMaxEventsPerCall, 0);
  if (n < 0) {
    if (errno == EINTR) return;
    fail(impl_->path, "epoll_wait", errno);
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kListenId) {
      impl_->accept_clients();
    } else if (events[i].data.u64 == kTimerId) {
      impl_->close_idle_clients();
    } else {
      impl_->serve(events[i].data.u64, events[i].events);
    }
  }
  impl_->arm_timer(!impl_->clients.empty());
}

// Sweeps at a quarter of the timeout (10 ms..1 s), so a client is closed
// between idle_timeout and 1.25 x idle_timeout (at most +1 s) after its last
// progress; no sweep runs while nobody is connected.
void ControlServer::Impl::arm_timer(bool on) {
  if (on == timer_armed) return;
  using std::chrono::milliseconds;
  const auto period =
      std::clamp<milliseconds>(options.idle_timeout / 4, milliseconds(10), milliseconds(1000));
  itimerspec spec{};
  if (on) {
    spec.it_interval.tv_sec = period.count() / 1000;
    spec.it_interval.tv_nsec = (period.count() % 1000) * 1000000;
    spec.it_value = spec.it_interval;
  }
  if (::timerfd_settime(timer_fd.get(), 0, &spec, nullptr) != 0)
    fail(path, "timerfd_settime", errno);
  timer_armed = on;
}

void ControlServer::Impl::close_idle_clients() {
  uint64_t expirations = 0;
  [[maybe_unused]] ssize_t ignored = ::read(timer_fd.get(), &expirations, sizeof(expirations));
  const auto now = Clock::now();
  const auto limit_ms = options.idle_timeout.count();
  for (auto it = clients.begin(); it != clients.end();) {
    Client& c = it->second;
    if (now - c.last_progress < options.idle_timeout) {
      ++it;
      continue;
    }
    // A client with replies waiting is not reading: nothing more can reach
    // it. Otherwise say why before closing (its socket buffer has room: the
    // output is empty, so this small write cannot block).
    if (c.pending_output() == 0) {
      const std::string why =
          c.in.empty() ? fmt::format("no request for {} ms; closing the connection", limit_ms)
                       : fmt::format(
                             "request incomplete after {} ms ({} bytes without a newline); "
                             "closing the connection",
                             limit_ms, c.in.size());
      const std::string line = encode_error(errc::kTimeout, why);
      [[maybe_unused]] ssize_t sent =
          ::send(c.fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    it = clients.erase(it);
  }
}

void ControlServer::Impl::accept_clients() {
  for (int i = 0; i < kMaxAcceptsPerCall; ++i) {
    const int fd = ::accept4(listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) shed_one_connection();
      return;  // EAGAIN, or an error the next readiness will report again
    }
    UniqueFd client_fd(fd);
    if (clients.size() >= options.max_clients) {
      // Tell the client why before closing; its socket buffer is empty, so
      // this small write cannot block or be partial.
      const std::string busy = encode_error(
          errc::kBusy, fmt::format("too many control clients (limit {})", options.max_clients));
      [[maybe_unused]] ssize_t ignored =
          ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;
    }
    const uint64_t id = next_id++;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = id;
    if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
    Client& c = clients[id];
    c.fd = std::move(client_fd);
    c.events = ev.events;
    c.last_progress = Clock::now();
  }
}

// Out of descriptors, a pending connection would keep the listening socket
// readable forever: free the spare descriptor, accept and close the
// connection, take the spare back.
void ControlServer::Impl::shed_one_connection() {
  spare_fd.reset();
  UniqueFd victim(::accept4(listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  victim.reset();
  spare_fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

void ControlServer::Impl::serve(uint64_t id, uint32_t events) {
  const auto it = clients.find(id);
  if (it == clients.end()) return;
  Client& c = it->second;
  if (events & EPOLLERR) return drop(id);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) && !read_input(id, c)) return;
  // Lines held back by the output limit are served as soon as the output
  // drains; no further event would announce them.
  for (;;) {
    dispatch_lines(c);
    if (!flush_output(id, c)) return;
    if (c.pending_output() > 0 || c.close_after_flush || c.in.find('\n') == std::string::npos) {
      break;
    }
  }
  // Everything answered: a protocol violator, or a peer that half-closed after
  // its last request, is done (an unterminated request is abandoned with it).
  if (c.pending_output() == 0 && (c.close_after_flush || c.peer_closed)) return drop(id);
  update_interest(id, c);
}

bool ControlServer::Impl::read_input(uint64_t id, Client& c) {
  std::array<char, kReadChunk> chunk;
  for (std::size_t total = 0; total < kReadBudget && !c.peer_closed;) {
    const ssize_t n = ::read(c.fd.get(), chunk.data(), chunk.size());
    if (n > 0) {
      c.in.append(chunk.data(), static_cast<std::size_t>(n));
      total += static_cast<std::size_t>(n);
      // Enough to decide: either a line is complete or the request is too large.
      if (c.in.size() > kMaxRequestBytes) break;
    } else if (n == 0) {
      c.peer_closed = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      drop(id);
      return false;
    }
  }
  return true;
}

void ControlServer::Impl::dispatch_lines(Client& c) {
  std::size_t start = 0;
  while (!c.close_after_flush && c.pending_output() < options.max_pending_output) {
    const std::size_t newline = c.in.find('\n', start);
    const std::size_t length = (newline == std::string::npos ? c.in.size() : newline) - start;
    if (length > kMaxRequestBytes) {
      c.out += encode_error(
          errc::kTooLarge,
          fmt::format("request exceeds {} bytes; closing the connection", kMaxRequestBytes));
      c.close_after_flush = true;
      c.in.clear();
      return;
    }
    if (newline == std::string::npos) break;
    c.out += answer(std::string_view(c.in).substr(start, length));
    c.last_progress = Clock::now();
    start = newline + 1;
  }
  c.in.erase(0, start);
}

std::string ControlServer::Impl::answer(std::string_view line) const {
  try {
    return encode_result(handler(decode_request(line)));
  } catch (const CtlError& e) {
    return encode_error(e.code(), e.what());
  } catch (const std::exception& e) {
    return encode_error(errc::kInternal, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return encode_error(errc::kInternal, "internal error");
  }
}

bool ControlServer::Impl::flush_output(uint64_t id, Client& c) {
  while (c.pending_output() > 0) {
    const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.pending_output(),
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      c.out_pos += static_cast<std::size_t>(n);
      if (n > 0) c.last_progress = Clock::now();
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Keep a slow reader's buffer from growing by its already-sent prefix.
      if (c.out_pos > c.out.size() / 2) {
        c.out.erase(0, c.out_pos);
        c.out_pos = 0;
      }
      return true;
    } else {
      drop(id);  // EPIPE / ECONNRESET: the client left mid-reply
      return false;
    }
  }
  c.out.clear();
  c.out_pos = 0;
  return true;
}

void ControlServer::Impl::update_interest(uint64_t id, Client& c) {
  uint32_t want = 0;
  const bool may_read = !c.peer_closed && !c.close_after_flush &&
                        c.pending_output() < options.max_pending_output &&
                        c.in.size() <= kMaxRequestBytes;
  if (may_read) want |= EPOLLIN | EPOLLRDHUP;
  if (c.pending_output() > 0) want |= EPOLLOUT;
  if (want == c.events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = id;
  if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) {
    drop(id);
    return;
  }
  c.events = want;
}

}  // namespace lb::ctl
