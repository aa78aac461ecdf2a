// json_writer.h: appends JSON text to a string, for responses written as rows are read.
//
// Only what Hrana responses need, and fast: no document tree. Strings are escaped and
// made valid UTF-8 (invalid bytes become U+FFFD: SQLite TEXT may hold any bytes, JSON
// may not), doubles are written shortest-round-trip, blobs as unpadded standard base64
// (what sqld sends; the Go client rejects padding). Keys and commas are the caller's job.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "libsql/value.h"

namespace libsql::hrana::json {

// "text" with JSON escapes.
void append_string(std::string& out, std::string_view text);
// {"error":"<message>"}: sqld's body for an HTTP request refused or failed as a whole.
std::string error_body(std::string_view message);
void append_int(std::string& out, std::int64_t value);
void append_uint(std::string& out, std::uint64_t value);
// A JSON number for a finite double (shortest form that reads back equal; whole numbers
// keep a ".0", as sqld writes them). Infinities, which JSON lacks, are written as
// 1e999 / -1e999: JavaScript's JSON.parse reads them back as Infinity (sqld writes null,
// which clients then fail on). SQLite stores NaN as NULL, so NaN does not occur.
void append_double(std::string& out, double value);
// Unpadded standard base64 (no quotes).
void append_base64(std::string& out, std::span<const std::uint8_t> bytes);
// A Hrana Value object: {"type":"integer","value":"42"} and so on.
void append_value(std::string& out, ValueView value);

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

// Standard base64 decoding that accepts input with or without '=' padding, as sqld does.
// Returns false on any other malformed input.
bool decode_base64(std::string_view text, Blob& out);

}  // namespace libsql::hrana::json
