// Piranha's send-string escapes, and their inverse for showing bytes to an
// operator.
//
// nanny's Send field takes "printable ASCII characters as well as the
// following escape characters: \n, \r, \t, and \ to escape the next
// character". decode_escapes implements exactly that, plus \xHH (two hex
// digits) so a UDP check can carry the binary bytes of, say, a DNS query;
// in Piranha "\x41" meant "x41", a string nobody sends to a server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <lb/health/checked.h>

namespace lb::health {

// "GET / HTTP/1.0\r\n\r\n" -> the bytes. A trailing lone backslash, or \x not
// followed by two hex digits, is an error naming the offset.
Checked<std::string> decode_escapes(std::string_view text);

// Bytes -> printable text: \n \r \t \\ and \xHH for other non-printables, so
// decode_escapes(encode_escapes(b)) == b. When max_chars is not 0 the output
// stops at that many input bytes and ends with "..." (for reasons and logs).
std::string encode_escapes(std::string_view bytes, size_t max_chars = 0);

}  // namespace lb::health
