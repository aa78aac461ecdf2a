// json_reader.h: decodes Hrana's JSON requests into protocol.h values.
//
// Accepts what sqld accepts: unknown fields are ignored, optional fields may be absent
// or null, integers may come as strings (sqld's form) or as JSON numbers, blobs as
// padded or unpadded base64. Anything else throws ProtocolError (kDecode) with a
// message in serde's words ("missing field `requests`"), prefixed as sqld prefixes it.
// Version rules (what Hrana 2 lacks) are checked later, by the executor.
#pragma once

#include <string_view>

#include "hrana/protocol.h"

namespace libsql::hrana::json {

// How deep a request's JSON may nest: serde_json's limit, which sqld inherits (127
// levels of objects and arrays; deeper is "recursion limit exceeded"). It also bounds
// every recursive reader here, and the parser's own memory.
inline constexpr int kMaxDepth = 127;

PipelineRequest parse_pipeline_request(std::string_view body);
CursorRequest parse_cursor_request(std::string_view body);
// POST /v1/execute: {"stmt": Stmt}
Stmt parse_v1_execute_request(std::string_view body);
// POST /v1/batch: {"batch": Batch}
Batch parse_v1_batch_request(std::string_view body);

}  // namespace libsql::hrana::json
