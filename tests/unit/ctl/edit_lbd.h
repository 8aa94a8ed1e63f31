// An lbd stand-in for the editing commands: the `edit`, `zero` and
// `services` commands of the control protocol (prompts' edit protocol, lbd's
// control_api.cpp services_json) over an in-memory table, so that lbctl's
// ipvsadm dialect can be driven end to end -R, -S, -L -- and the requests it
// sends checked.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>

#include <lb/ctl/dispatcher.h>
#include <lb/ctl/protocol.h>

#include "ctl_fixture.h"

namespace lb::test {

using nlohmann::json;

class EditModel {
 public:
  json edit(const json& args) {
    std::lock_guard lock(mutex_);
    const json& ops = args.at("ops");
    json next = services_;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      try {
        apply(next, ops[i]);
      } catch (const ctl::CtlError& e) {
        if (ops.size() == 1) throw;
        throw ctl::CtlError(e.code(), fmt::format("op {}: {}", i + 1, e.what()));
      }
    }
    services_ = std::move(next);
    return {{"applied", ops.size()}, {"services", services_.size()}};
  }

  json zero(const json& args) {
    std::lock_guard lock(mutex_);
    if (args.contains("service")) {
      json& service = find(services_, args["service"]);
      reset(service);
    } else {
      for (json& service : services_)
        reset(service);
    }
    return json::object();
  }

  json services() const {
    std::lock_guard lock(mutex_);
    return {{"conn_table_size", 4096}, {"services", services_}};
  }

  // Traffic on every service and real server, for -Z to clear.
  void add_traffic() {
    std::lock_guard lock(mutex_);
    for (json& service : services_) {
      service["stats"] = counters(7);
      for (json& real : service["real_servers"])
        real["stats"] = counters(3);
    }
  }

 private:
  static json counters(uint64_t n) {
    return {{"conns", n},
            {"inpkts", n * 10},
            {"outpkts", n * 9},
            {"inbytes", n * 1000},
            {"outbytes", n * 900}};
  }
  static json zero_rates() {
    return {{"cps", 0}, {"inpps", 0}, {"outpps", 0}, {"inbps", 0}, {"outbps", 0}};
  }
  static void reset(json& service) {
    service["stats"] = counters(0);
    for (json& real : service["real_servers"])
      real["stats"] = counters(0);
  }

  static std::string name(const json& sel) {
    if (sel.contains("fwmark")) return fmt::format("fwmark:{}", sel["fwmark"].get<uint32_t>());
    return fmt::format("{}:{}:{}", sel.at("protocol").get<std::string>(),
                       sel.at("vip").get<std::string>(), sel.at("port").get<int>());
  }
  static bool same(const json& service, const json& sel) {
    if (sel.contains("fwmark") || service.contains("fwmark")) {
      return sel.value("fwmark", 0u) == service.value("fwmark", 0u);
    }
    return service["protocol"] == sel.at("protocol") && service["vip"] == sel.at("vip") &&
           service["port"] == sel.at("port");
  }
  static json* lookup(json& services, const json& sel) {
    for (json& service : services) {
      if (same(service, sel)) return &service;
    }
    return nullptr;
  }
  static json& find(json& services, const json& sel) {
    json* service = lookup(services, sel);
    if (service == nullptr) {
      throw ctl::CtlError("no_service", fmt::format("service {} does not exist", name(sel)));
    }
    return *service;
  }
  static json* find_real(json& service, const json& real) {
    for (json& r : service["real_servers"]) {
      if (r["address"] == real.at("address") &&
          r["port"] == real.value("port", service.value("port", 0))) {
        return &r;
      }
    }
    return nullptr;
  }

  static void set_service_fields(json& service, const json& svc) {
    if (svc.contains("scheduler")) {
      static const std::set<std::string> kKnown = {"rr",    "wrr", "lc", "wlc", "lblc",
                                                   "lblcr", "dh",  "sh", "sed", "nq",
                                                   "fo",    "ovf", "mh", "twos"};
      if (!kKnown.contains(svc["scheduler"].get<std::string>())) {
        throw ctl::CtlError("no_scheduler", fmt::format("unknown scheduler '{}'",
                                                        svc["scheduler"].get<std::string>()));
      }
      service["scheduler"] = svc["scheduler"];
    }
    if (svc.contains("sched_flags")) service["sched_flags"] = svc["sched_flags"];
    if (svc.contains("one_packet")) service["one_packet"] = svc["one_packet"];
    if (svc.contains("persistent")) {
      if (svc["persistent"].get<uint32_t>() == 0) {
        service.erase("persistent");
        service.erase("netmask");
      } else {
        service["persistent"] = svc["persistent"];
        service["netmask"] = svc.value("netmask", std::string("255.255.255.255"));
      }
    }
  }

  static void set_real_fields(json& real, const json& r) {
    for (const char* key : {"forward", "weight", "upper_threshold", "lower_threshold"}) {
      if (r.contains(key)) real[key] = r[key];
    }
  }

  static void apply(json& services, const json& op) {
    const std::string kind = op.at("op").get<std::string>();
    if (kind == "clear") {
      services = json::array();
    } else if (kind == "add_service") {
      const json& svc = op.at("service");
      if (lookup(services, svc) != nullptr) {
        throw ctl::CtlError("service_exists", fmt::format("service {} exists", name(svc)));
      }
      json service = json::object();
      if (svc.contains("fwmark")) {
        service["fwmark"] = svc["fwmark"];
      } else {
        service["protocol"] = svc["protocol"];
        service["vip"] = svc["vip"];
        service["port"] = svc["port"];
      }
      service["scheduler"] = "wlc";
      service["sched_flags"] = json::array();
      service["one_packet"] = false;
      set_service_fields(service, svc);
      service["real_servers"] = json::array();
      service["stats"] = counters(0);
      service["rates"] = zero_rates();
      services.push_back(std::move(service));
    } else if (kind == "edit_service") {
      set_service_fields(find(services, op.at("service")), op.at("service"));
    } else if (kind == "delete_service") {
      json& service = find(services, op.at("service"));
      for (std::size_t i = 0; i < services.size(); ++i) {
        if (&services[i] == &service) {
          services.erase(i);
          break;
        }
      }
    } else if (kind == "add_real" || kind == "edit_real" || kind == "delete_real") {
      json& service = find(services, op.at("service"));
      const json& r = op.at("real");
      json* existing = find_real(service, r);
      if (kind == "add_real") {
        if (existing != nullptr) {
          throw ctl::CtlError(
              "real_exists", fmt::format("real server {} exists", r["address"].get<std::string>()));
        }
        json real = {
            {"address", r.at("address")}, {"port", r.value("port", service.value("port", 0))},
            {"forward", "nat"},           {"weight", 1},
            {"upper_threshold", 0},       {"lower_threshold", 0},
            {"active_conns", 0},          {"inactive_conns", 0},
            {"persistent_conns", 0},      {"stats", counters(0)},
            {"rates", zero_rates()}};
        set_real_fields(real, r);
        // The kernel's order, which lbd's result keeps: newest first.
        service["real_servers"].insert(service["real_servers"].begin(), std::move(real));
        return;
      }
      if (existing == nullptr) {
        throw ctl::CtlError("no_real", fmt::format("real server {} does not exist",
                                                   r["address"].get<std::string>()));
      }
      if (kind == "edit_real") {
        set_real_fields(*existing, r);
        return;
      }
      json& reals = service["real_servers"];
      for (std::size_t i = 0; i < reals.size(); ++i) {
        if (&reals[i] == existing) {
          reals.erase(i);
          break;
        }
      }
    } else {
      throw ctl::CtlError("bad_request", "unknown op " + kind);
    }
  }

  mutable std::mutex mutex_;
  json services_ = json::array();
};

// lbd with the model behind `edit`, `zero`, `services`, plus `status`; every
// request logged.
struct EditLbd {
  explicit EditLbd(const std::string& path) {
    dispatcher.add("edit", [this](const json& args) { return model.edit(args); });
    dispatcher.add("zero", [this](const json& args) { return model.zero(args); });
    dispatcher.add("services", [this](const json&) { return model.services(); });
    dispatcher.add("status", [](const json&) { return json{{"version", "0.1.0"}}; });
    server.emplace(path, [this](const ctl::Request& request) {
      log.add(request.cmd, request.args);
      return dispatcher(request);
    });
  }
  EditModel model;
  RequestLog log;
  ctl::Dispatcher dispatcher;
  std::optional<ServerThread> server;
};

}  // namespace lb::test
