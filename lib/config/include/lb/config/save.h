// Writing the running configuration back into its YAML file (lbctl save),
// keeping the operator's text wherever the values did not change.
//
// Live edits change services; run-time settings change `connections`. Every
// other section of the file is kept byte for byte, and within `services`
// every service whose values are unchanged keeps its own text (comments,
// layout, key order). Changed and new services are written by the emitter
// (emit.h), indented as the file's list is. The result is checked by loading
// it back: it must give exactly the running services and settings.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <lb/config/model.h>

namespace lb::config {

struct SaveError {
  std::string message;
};

// `original`: the file's text, which loads without error as `from_file`.
// Returns the new text, or why it cannot be written.
std::variant<std::string, SaveError> splice_running(std::string_view original,
                                                    const Config& from_file, const Config& running);

}  // namespace lb::config
