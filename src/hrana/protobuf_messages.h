// protobuf_messages.h: conversions between protocol.h values and the protoc-generated
// Hrana messages, shared by the HTTP (protobuf_codec.cc) and WebSocket
// (ws_protobuf_codec.cc) encodings.
//
// Internal to src/hrana: nothing outside the codecs should see generated classes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hrana/json_results.h"
#include "hrana/protocol.h"
#include "hrana/response_meter.h"
#include "hrana/result_sink.h"
#include "proto/hrana.pb.h"

namespace libsql::hrana::protobuf {

[[noreturn]] void not_recognized(std::string_view what);

// Parses `bytes` as a Message, or throws ProtocolError (kDecode) in sqld's words.
template <class Message>
Message parse(std::string_view bytes) {
  Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw ProtocolError(
        ProtocolError::Kind::kDecode,
        "Could not decode client message from Protobuf: failed to decode Protobuf message: " +
            std::string(Message::descriptor()->name()));
  }
  return message;
}

// Requests. A oneof with nothing set throws ProtocolError (kSemantic).
Value from_proto(const ::hrana::Value& value);
Stmt from_proto(const ::hrana::Stmt& proto);
BatchCond from_proto(const ::hrana::BatchCond& proto);
Batch from_proto(const ::hrana::Batch& proto);

// Results. Protobuf strings must be UTF-8; SQLite TEXT may not be (invalid bytes become
// U+FFFD, as in the JSON encoding).
std::string utf8(std::string_view text);
void to_proto(const Error& error, ::hrana::Error* out);
void to_proto(const DescribeResult& result, ::hrana::DescribeResult* out);

// Deterministic serialization: BatchResult's maps then come out in step order, as sqld
// sends them.
std::string serialize(const google::protobuf::MessageLite& message);
// `message` prefixed by its length as a varint.
void append_delimited(std::string& out, const google::protobuf::MessageLite& message);

// One StmtResult message, filled as the statement runs.
class StmtResultSink final : public ResultSink {
 public:
  StmtResultSink(::hrana::StmtResult* result, json::ResponseBudget budget)
      : result_(result), budget_(budget), charge_(budget.meter) {}

  void step_begin(std::uint32_t step, const engine::Statement& statement) override;
  void step_row(const engine::Statement& statement) override;
  void step_end(const StepStats& stats) override;
  void step_error(std::uint32_t step, const Error& error) override;

  const std::optional<Error>& error() const { return error_; }

 private:
  ::hrana::StmtResult* result_;
  json::ResponseBudget budget_;
  ResponseCharge charge_;
  std::optional<Error> error_;
};

// One BatchResult message: a StmtResult or an Error per step that ran.
class BatchResultSink final : public ResultSink {
 public:
  BatchResultSink(::hrana::BatchResult* result, json::ResponseBudget budget)
      : result_(result), budget_(budget), charge_(budget.meter) {}

  void step_begin(std::uint32_t step, const engine::Statement& statement) override;
  void step_row(const engine::Statement& statement) override;
  void step_end(const StepStats& stats) override;
  void step_error(std::uint32_t step, const Error& error) override;

 private:
  ::hrana::BatchResult* result_;
  json::ResponseBudget budget_;
  ResponseCharge charge_;
  ::hrana::StmtResult current_;
  std::uint32_t step_ = 0;
  std::size_t rows_ = 0;
};

// A cursor's events as CursorEntry messages, handed one by one to emit().
class CursorEntrySink : public ResultSink {
 public:
  void step_begin(std::uint32_t step, const engine::Statement& statement) override;
  void step_row(const engine::Statement& statement) override;
  void step_end(const StepStats& stats) override;
  void step_error(std::uint32_t step, const Error& error) override;
  void batch_error(const Error& error);

 protected:
  virtual void emit(const ::hrana::CursorEntry& entry) = 0;
};

}  // namespace libsql::hrana::protobuf
