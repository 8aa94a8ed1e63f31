#include "metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lb::daemon {

namespace {

// Prometheus' text format, as its client libraries announce it.
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
// Scrapers are few and the control thread renders one page at a time: a
// small pool is enough, and bounds what a flood of clients can tie up.
constexpr size_t kHttpThreads = 4;

// SO_REUSEADDR only: a restarted lbd binds past its predecessor's TIME_WAIT
// connections, but a second process cannot share the address, which
// httplib's default (SO_REUSEPORT) would let it do silently.
void reuse_address(int fd) {
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
}

// A listening socket on `at`, or the reason there cannot be one.
int listen_socket(const config::ListenAddress& at) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("metrics.listen {}: socket: {}", at.to_string(), std::strerror(errno)));
  }
  reuse_address(fd);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(at.port);
  sa.sin_addr.s_addr = at.addr.be;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0 || listen(fd, 16) != 0) {
    const int err = errno;
    close(fd);
    throw std::runtime_error(
        fmt::format("metrics.listen {}: cannot listen: {}", at.to_string(), std::strerror(err)));
  }
  return fd;
}

// The reasons of the errors httplib produces itself.
const char* reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    default:
      return "Error";
  }
}

void plain(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text, "text/plain; charset=utf-8");
}

}  // namespace

MetricsServer::MetricsServer(const config::ListenAddress& listen, std::chrono::milliseconds timeout)
    : listen_(listen), timeout_(timeout) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::runtime_error(fmt::format("eventfd: {}", std::strerror(errno)));
  try {
    reservation_fd_ = listen_socket(listen_);
  } catch (...) {
    close(event_fd_);
    throw;
  }
}

MetricsServer::~MetricsServer() {
  stop();
  close(event_fd_);
}

void MetricsServer::start() {
  server_.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  server_.set_socket_options(reuse_address);
  server_.set_read_timeout(std::chrono::seconds(5));
  server_.set_write_timeout(std::chrono::seconds(5));
  // Short, so that stop() is not held up by an idle keep-alive connection.
  server_.set_keep_alive_timeout(1);
  server_.set_payload_max_length(64 * 1024);
  server_.Get("/metrics",
              [this](const httplib::Request&, httplib::Response& res) { serve_metrics(res); });
  server_.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(fmt::format("<html><head><title>lbd {0}</title></head><body>"
                                "<h1>lbd {0}</h1><p><a href=\"/metrics\">Metrics</a></p>"
                                "</body></html>\n",
                                LBD_VERSION),
                    "text/html; charset=utf-8");
  });
  // Errors without a body of their own (404, 405, 400 from the parser)
  // say what they are; the 5xx of serve_metrics keep their reason.
  server_.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        plain(res, res.status,
              fmt::format("{} {}; the metrics are at /metrics\n", res.status, reason(res.status)));
        return httplib::Server::HandlerResponse::Handled;
      }));

  // httplib binds its own socket: hand the address over.
  close(reservation_fd_);
  reservation_fd_ = -1;
  if (!server_.bind_to_port(listen_.addr.to_string(), listen_.port)) {
    // httplib does not say why; a socket of our own does.
    close(listen_socket(listen_));
    throw std::runtime_error(fmt::format("metrics.listen {}: cannot listen", listen_.to_string()));
  }
  thread_ = std::thread([this] {
    server_.listen_after_bind();
    listen_returned_ = true;
  });
}

void MetricsServer::serve_metrics(httplib::Response& res) {
  auto promise = std::make_shared<std::promise<Page>>();
  auto page = promise->get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return plain(res, 503, "lbd is stopping\n");
    waiting_.push_back(std::move(promise));
  }
  const uint64_t one = 1;
  if (write(event_fd_, &one, sizeof(one)) < 0 && errno != EAGAIN) {
    return plain(res, 500,
                 fmt::format("cannot wake lbd's control thread: {}\n", std::strerror(errno)));
  }
  if (page.wait_for(timeout_) != std::future_status::ready) {
    return plain(
        res, 503,
        fmt::format("lbd's control thread did not answer within {} ms\n", timeout_.count()));
  }
  try {
    res.set_content(*page.get(), kContentType);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    plain(res, stopping_ ? 503 : 500, fmt::format("{}\n", e.what()));
  }
}

void MetricsServer::process(const std::function<std::string()>& render) {
  uint64_t wakeups = 0;
  if (read(event_fd_, &wakeups, sizeof(wakeups)) < 0 && errno != EAGAIN) {
    spdlog::warn("metrics endpoint: reading its eventfd: {}", std::strerror(errno));
  }
  std::vector<std::shared_ptr<std::promise<Page>>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(waiting_);
  }
  if (batch.empty()) return;
  try {
    const auto page = std::make_shared<const std::string>(render());
    for (auto& p : batch)
      p->set_value(page);
  } catch (const std::exception& e) {
    spdlog::error("metrics endpoint: cannot render the page: {}", e.what());
    const auto error = std::current_exception();
    for (auto& p : batch)
      p->set_exception(error);
  }
}

void MetricsServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    const auto error = std::make_exception_ptr(std::runtime_error("lbd is stopping"));
    for (auto& p : waiting_)
      p->set_exception(error);
    waiting_.clear();
  }
  if (reservation_fd_ >= 0) {
    close(reservation_fd_);
    reservation_fd_ = -1;
  }
  if (thread_.joinable()) {
    // stop() is a no-op until listen_after_bind() has marked the server
    // running, which the thread may not have reached yet.
    while (!server_.is_running() && !listen_returned_)
      std::this_thread::yield();
    server_.stop();
    thread_.join();
  }
}

}  // namespace lb::daemon
