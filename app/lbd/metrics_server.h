// The Prometheus endpoint (`metrics.listen`): HTTP on a kernel socket,
// `GET /metrics` answered with the page lib/metrics renders.
//
// Threads: cpp-httplib accepts and serves connections on its own threads,
// which never touch the data plane: its snapshots may only be read on the
// control thread, which also reclaims them. An HTTP thread queues the
// request and wakes the control thread through an eventfd (fd(), watched by
// the event loop); process() renders once for every request queued and
// fulfils their promises. A request the control thread does not answer in
// time gets 503, one it fails to render 500, with the reason as the body.
//
// Life cycle, all on the control thread: the constructor binds the address
// (before DPDK starts: a busy address stops lbd early, with the reason);
// start() after EAL init, so that the HTTP threads inherit the control
// thread's CPU and never run on a worker's; stop() (also by the destructor)
// fails waiting requests with 503, closes the socket and joins the threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <lb/config/model.h>

namespace lb::daemon {

class MetricsServer {
 public:
  // Throws std::runtime_error ("metrics.listen 127.0.0.1:9100: cannot listen:
  // Address already in use").
  explicit MetricsServer(const config::ListenAddress& listen,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Starts serving; throws std::runtime_error as the constructor does.
  void start();
  // Readable while requests wait for process().
  int fd() const { return event_fd_; }
  // Answers every waiting request with one render() (control thread).
  void process(const std::function<std::string()>& render);
  void stop();

  const config::ListenAddress& address() const { return listen_; }

 private:
  using Page = std::shared_ptr<const std::string>;

  void serve_metrics(httplib::Response& res);  // HTTP threads

  config::ListenAddress listen_;
  std::chrono::milliseconds timeout_;
  int event_fd_ = -1;
  int reservation_fd_ = -1;  // holds the address from the constructor until start()
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};

  std::mutex mutex_;  // guards stopping_ and waiting_
  bool stopping_ = false;
  std::vector<std::shared_ptr<std::promise<Page>>> waiting_;
};

}  // namespace lb::daemon
