#include <lb/config/model.h>

#include <fmt/format.h>

namespace lb::config {

std::string ListenAddress::to_string() const {
  return fmt::format("{}:{}", addr.to_string(), port);
}

}  // namespace lb::config
