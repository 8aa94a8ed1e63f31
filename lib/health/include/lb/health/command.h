// A check program's command line: words, then %h / %p substituted.
//
// No shell runs it (a real server's address never meets shell parsing, and a
// check costs one exec, not two). Words are separated by blanks; '...' keeps
// blanks literally, "..." too with \" and \\ inside, and a backslash outside
// quotes escapes the next character, so `sh -c 'echo ok'` is three words
// and a command without quotes splits exactly on blanks (model.h). In each
// word %h becomes the real server's address, %p the port checked and %% a
// percent sign (Piranha's sending program knows %h; %p is lbd's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <lb/health/checked.h>

namespace lb::health {

// Errors: an empty command, an unterminated quote, a trailing backslash, a %
// not followed by h, p or %.
Checked<std::vector<std::string>> split_command(std::string_view command);

// `words` from split_command with the tokens replaced.
std::vector<std::string> substitute(const std::vector<std::string>& words, std::string_view host,
                                    uint16_t port);

}  // namespace lb::health
