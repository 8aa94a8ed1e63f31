// Test support for lib/ctl: a private temporary directory and a
// ControlServer running its event loop on its own thread, as lbd runs it.
#pragma once

#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <lb/ctl/dispatcher.h>
#include <lb/ctl/server.h>

namespace lb::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lbctl-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The server is built on the test thread, then only the loop thread touches
// it until the destructor has joined that thread.
class ServerThread {
 public:
  ServerThread(std::string path, ctl::ControlServer::Handler handler,
               ctl::ServerOptions options = {})
      : server_(std::move(path), std::move(handler), std::move(options)) {
    outer_epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (outer_epoll_ < 0 || ::epoll_ctl(outer_epoll_, EPOLL_CTL_ADD, server_.fd(), &ev) != 0) {
      throw std::runtime_error("cannot watch the server's descriptor");
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~ServerThread() {
    stop_ = true;
    thread_.join();
    ::close(outer_epoll_);
  }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  const std::string& path() const { return server_.path(); }
  // Only from a handler (the loop thread).
  std::size_t client_count() const { return server_.client_count(); }

 private:
  void loop() {
    while (!stop_) {
      epoll_event ev{};
      if (::epoll_wait(outer_epoll_, &ev, 1, 10) > 0) server_.process();
    }
  }

  ctl::ControlServer server_;
  int outer_epoll_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A `services` result shared between the test thread (which sets it) and the
// server thread (which serves it).
class SharedJson {
 public:
  void set(nlohmann::json value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
  }
  nlohmann::json get() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

 private:
  mutable std::mutex mutex_;
  nlohmann::json value_ = nlohmann::json::object();
};

// What a canned server was asked, in order: the server thread records, the
// test thread reads once the client is done.
class RequestLog {
 public:
  void add(std::string cmd, nlohmann::json args) {
    std::lock_guard lock(mutex_);
    requests_.push_back({std::move(cmd), std::move(args)});
  }
  std::vector<ctl::Request> all() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<nlohmann::json> args_of(const std::string& cmd) const {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> out;
    for (const auto& r : requests_) {
      if (r.cmd == cmd) out.push_back(r.args);
    }
    return out;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    requests_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ctl::Request> requests_;
};

// Retries `condition` for up to two seconds: the server thread acts on a
// disconnect asynchronously.
inline bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// lbd's `settings` result with the kernel's defaults, and lbctl's human
// form of it.
inline constexpr const char* kDefaultSettings = R"({"expire_nodest_conn":false,"timeouts":{
  "none":2,"established":900,"syn_sent":120,"syn_recv":60,"fin_wait":120,"time_wait":120,
  "close":10,"close_wait":60,"last_ack":30,"listen":120,"synack":120,"udp":300,"icmp":60}})";
inline constexpr const char* kDefaultSettingsText =
    "expire_nodest_conn: no\n"
    "timeouts:\n"
    "  TIMEOUT      SECONDS\n"
    "  none               2\n"
    "  established      900\n"
    "  syn_sent         120\n"
    "  syn_recv          60\n"
    "  fin_wait         120\n"
    "  time_wait        120\n"
    "  close             10\n"
    "  close_wait        60\n"
    "  last_ack          30\n"
    "  listen           120\n"
    "  synack           120\n"
    "  udp              300\n"
    "  icmp              60\n";

}  // namespace lb::test
