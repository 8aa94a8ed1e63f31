#include "edit_api.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <lb/config/edit.h>
#include <lb/config/load.h>
#include <lb/config/save.h>
#include <lb/ctl/protocol.h>

#include "publish.h"

namespace lb::daemon {

namespace {

using nlohmann::json;

json real_json(const sched::RealServerSpec& real) {
  return {{"address", real.addr.to_string()},
          {"port", real.port},
          {"forward", sched::to_string(real.forward)},
          {"weight", real.weight},
          {"upper_threshold", real.upper_threshold},
          {"lower_threshold", real.lower_threshold},
          {"enabled", real.enabled},
          {"check", real.check ? config::check_json(*real.check) : json(nullptr)}};
}

// A service in the `edit` request's own form, so that a script can read,
// change and send it back.
json service_json(const sched::ServiceSpec& service) {
  json out = json::object();
  if (service.fwmark != 0) {
    out["fwmark"] = service.fwmark;
  } else {
    out["protocol"] = sched::to_string(service.protocol);
    out["vip"] = service.vip.to_string();
    out["port"] = service.port;
  }
  out["scheduler"] = service.scheduler;
  out["sched_flags"] = sched::sched_flag_names(service.scheduler, service.sched_flags);
  out["persistent"] = service.persistence ? service.persistence->timeout_s : 0;
  if (service.persistence) out["netmask"] = service.persistence->netmask.to_string();
  out["one_packet"] = service.one_packet;
  out["quiesce_server"] = service.quiesce_server;
  out["enabled"] = service.enabled;
  out["health"] = config::health_json(service.health);
  out["sorry_server"] = nullptr;
  if (const auto& sorry = service.sorry_server) {
    out["sorry_server"] = {{"address", sorry->addr.to_string()},
                           {"port", sorry->port},
                           {"forward", sched::to_string(sorry->forward)}};
  }
  json reals = json::array();
  for (const auto& real : service.real_servers)
    reals.push_back(real_json(real));
  out["real_servers"] = std::move(reals);
  return out;
}

[[noreturn]] void save_failed(const std::string& path, const std::string& why) {
  throw ctl::CtlError("save_failed", fmt::format("cannot save to {}: {}", path, why));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) save_failed(path, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces `path` with `text` atomically (a reader sees the old file or the
// new one, never half of one), keeping the old file's mode.
void write_atomically(const std::string& path, const std::string& text) {
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  const std::string tmp = path + ".lbd-save";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) save_failed(path, fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      save_failed(path, fmt::format("cannot write {}: {}", tmp, std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = synced ? errno : err;
    ::unlink(tmp.c_str());
    save_failed(path, std::strerror(rename_err));
  }
}

}  // namespace

json edit(ControlContext& ctx, const json& args) {
  for (const auto& [key, value] : args.items()) {
    if (key != "ops") {
      throw ctl::CtlError(ctl::errc::kBadRequest,
                          fmt::format("edit: unknown argument \"{}\", expected: ops", key));
    }
  }
  const auto it = args.find("ops");
  if (it == args.end()) throw ctl::CtlError(ctl::errc::kBadRequest, "edit: \"ops\" is missing");
  config::Config next = ctx.config;
  if (auto error = config::apply_edits(next, *it)) {
    throw ctl::CtlError(error->code, error->message + "; nothing was changed");
  }
  if (const auto errors = config::check(next); !errors.empty()) {
    std::vector<std::string> lines;
    for (const auto& e : errors)
      lines.push_back(e.field.empty() ? e.message : e.field + ": " + e.message);
    throw ctl::CtlError("invalid", fmt::format("{}; nothing was changed", fmt::join(lines, "\n")));
  }
  try {
    publish(ctx, next);
  } catch (const std::invalid_argument& e) {
    throw ctl::CtlError("rejected", fmt::format("{}; nothing was changed", e.what()));
  }
  ctx.config = std::move(next);
  ctx.unsaved_edits = true;
  return {{"applied", it->size()}, {"services", ctx.config.services.size()}};
}

json save(ControlContext& ctx, const json& args) {
  std::string path = ctx.config_path;
  for (const auto& [key, value] : args.items()) {
    if (key != "path" || !value.is_string() || value.get<std::string>().empty()) {
      throw ctl::CtlError(ctl::errc::kBadRequest,
                          "save: the only argument is \"path\", a file name");
    }
    path = value.get<std::string>();
  }
  // The file lbd runs from is the text kept: its comments, its other
  // sections. It must still load, or what to keep is unknown.
  const std::string original = read_text(ctx.config_path);
  const auto from_file = config::load_string(original, ctx.config_path);
  if (!from_file.config) {
    save_failed(path, fmt::format("{} no longer loads ({}); fix it or reload first",
                                  ctx.config_path, from_file.errors.front().to_string()));
  }
  auto spliced = config::splice_running(original, *from_file.config, ctx.config);
  if (const auto* error = std::get_if<config::SaveError>(&spliced)) {
    save_failed(path, error->message);
  }
  const std::string& text = std::get<std::string>(spliced);
  write_atomically(path, text);
  if (path == ctx.config_path) {
    // The file now says what runs: a reload changes nothing, and
    // run-time settings are the file's.
    if (auto saved = config::load_string(text, path); saved.config) ctx.file = *saved.config;
    ctx.unsaved_edits = false;
  }
  spdlog::info("running configuration saved to {} ({} service(s))", path,
               ctx.config.services.size());
  return {{"path", path}, {"services", ctx.config.services.size()}, {"bytes", text.size()}};
}

json config_json(const ControlContext& ctx) {
  json services = json::array();
  for (const auto& service : ctx.config.services)
    services.push_back(service_json(service));
  return {{"config_path", ctx.config_path},
          {"unsaved_edits", ctx.unsaved_edits},
          {"services", std::move(services)}};
}

}  // namespace lb::daemon
