// protobuf_codec.h: Hrana 3 over protobuf (/v3-protobuf/pipeline, /v3-protobuf/cursor).
//
// Decodes request bodies into protocol.h values and encodes results, through the classes
// protoc generates from proto/. What a message cannot say (a Value, condition or request
// with nothing set) is refused here with sqld's protocol-error texts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hrana/http_streams.h"
#include "hrana/pipeline.h"
#include "hrana/protocol.h"

namespace libsql::hrana::protobuf {

// hrana.http.PipelineReqBody and CursorReqBody. Throw ProtocolError: kDecode for bytes
// that are not the message ("Could not decode client message from Protobuf: ..."),
// kSemantic for messages with nothing set where something must be.
PipelineRequest decode_pipeline_request(std::string_view body);
CursorRequest decode_cursor_request(std::string_view body);

// A hrana.Error message (the body of some failed requests).
std::string encode_error(const Error& error);

// A PipelineRespBody for a pipeline request.
std::string run_pipeline(HttpStreams& streams, const PipelineRequest& request,
                         json::ResponseBudget budget, RequestContext context);
// A CursorRespBody and the cursor's CursorEntry messages, each length-prefixed (varint).
std::string run_cursor(HttpStreams& streams, const CursorRequest& request, RequestContext context);

}  // namespace libsql::hrana::protobuf
