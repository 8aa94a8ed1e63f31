// Dispatcher: the command table behind a ControlServer handler.
//
// lbd registers one function per command name; a request for a name nobody
// registered is answered with `unknown_command` listing the known ones, so a
// newer lbctl talking to an older lbd gets a precise error.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <lb/ctl/protocol.h>

namespace lb::ctl {

class Dispatcher {
 public:
  using Command = std::function<nlohmann::json(const nlohmann::json& args)>;

  // Throws std::invalid_argument if the name is empty or already taken.
  void add(std::string name, Command command);
  nlohmann::json operator()(const Request& request) const;
  std::vector<std::string> names() const;  // sorted

 private:
  std::map<std::string, Command, std::less<>> commands_;
};

}  // namespace lb::ctl
