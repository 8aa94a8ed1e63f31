// Reading a configuration file: YAML text -> a validated Config, or every
// error the file has.
//
// One pass reports everything it can find (syntax aside: a YAML syntax error
// stops the parse and is the only error), so an operator fixes a file in one
// round instead of one error per restart. Nothing here throws; a Config is
// returned only when the file has no error at all (all-or-nothing, like every
// control-plane change).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lb/config/model.h>

namespace lb::config {

struct ConfigError {
  std::string file;     // as given to load_file / the name given to load_string
  int line = 0;         // 1-based; 0 when the error is about the whole file (unreadable)
  int column = 0;       // 1-based; 0 when line is 0
  std::string field;    // "services[1].real_servers[0].weight"; empty for syntax and file errors
  std::string message;  // what was expected and what was given

  // "FILE:LINE:COL: FIELD: MESSAGE"; the position is left out when line is 0
  // and the field when it is empty.
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // in file order
};

// An unreadable file is one error naming it.
LoadResult load_file(const std::string& path);
LoadResult load_string(std::string_view yaml, std::string_view name = "<string>");

}  // namespace lb::config
