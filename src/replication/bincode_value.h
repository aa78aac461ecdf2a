// bincode_value.h: SQL values as bincode 1 encodes the Rust enum
// {Null, Integer(i64), Real(f64), Text(String), Blob(Vec<u8>)}: the bytes of
// proxy.Value.data in write forwarding (research/replication.md §3.7).
//
//   u32 LE variant index (Null 0, Integer 1, Real 2, Text 3, Blob 4), then
//   Integer: i64 LE; Real: f64 bits LE; Text, Blob: u64 LE length and the bytes.
//
// Must not: know protobuf or gRPC. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libsql/value.h"

namespace libsql::replication {

// Appends the encoding of `value` to `out`.
void append_bincode(ValueView value, std::string& out);
std::string encode_bincode(ValueView value);

// The value `data` encodes; nullopt with `error` set (why) when it is not one: an
// unknown variant, too few bytes, or TEXT that is not UTF-8 (serde's String refuses
// it). Bytes after the value are ignored, as bincode::deserialize ignores them.
std::optional<Value> decode_bincode(std::string_view data, std::string* error = nullptr);

}  // namespace libsql::replication
