#include <fmt/format.h>
#include <fmt/ranges.h>

#include <lb/ctl/dispatcher.h>

namespace lb::ctl {

void Dispatcher::add(std::string name, Command command) {
  if (name.empty() || !command) throw std::invalid_argument("a command needs a name and a body");
  const std::string copy = name;
  if (!commands_.emplace(std::move(name), std::move(command)).second) {
    throw std::invalid_argument(fmt::format("command '{}' registered twice", copy));
  }
}

nlohmann::json Dispatcher::operator()(const Request& request) const {
  const auto it = commands_.find(request.cmd);
  if (it == commands_.end()) {
    throw CtlError(errc::kUnknownCommand, fmt::format("unknown command '{}' (known: {})",
                                                      request.cmd, fmt::join(names(), ", ")));
  }
  return it->second(request.args);
}

std::vector<std::string> Dispatcher::names() const {
  std::vector<std::string> out;
  out.reserve(commands_.size());
  for (const auto& [name, command] : commands_)
    out.push_back(name);
  return out;
}

}  // namespace lb::ctl
