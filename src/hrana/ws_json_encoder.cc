// ws_json_encoder.cc: the server's WebSocket messages as JSON (hrana1, hrana2, hrana3).

#include <vector>

#include "hrana/json_writer.h"
#include "hrana/ws_protocol.h"

namespace libsql::hrana {

namespace {

std::string_view type_name(WsEmptyResponse type) {
  switch (type) {
    case WsEmptyResponse::kOpenStream:
      return "open_stream";
    case WsEmptyResponse::kCloseStream:
      return "close_stream";
    case WsEmptyResponse::kSequence:
      return "sequence";
    case WsEmptyResponse::kStoreSql:
      return "store_sql";
    case WsEmptyResponse::kCloseSql:
      return "close_sql";
    case WsEmptyResponse::kOpenCursor:
      return "open_cursor";
    case WsEmptyResponse::kCloseCursor:
      return "close_cursor";
  }
  return "";
}

// {"type":"response_ok","request_id":N,"response":{"type":"<type>"  (left open)
void open_response(std::string& out, std::int32_t request_id, std::string_view type) {
  out.append(R"({"type":"response_ok","request_id":)");
  json::append_int(out, request_id);
  out.append(R"(,"response":{"type":")");
  out.append(type);
  out.push_back('"');
}

// {"type":"response_ok","request_id":N,"response":{"type":"<type>","result":<result>}}
std::string result_response(std::int32_t request_id, std::string_view type,
                            std::string_view result) {
  std::string out;
  open_response(out, request_id, type);
  out.append(R"(,"result":)");
  out.append(result);
  out.append("}}");
  return out;
}

std::string error_message(std::int32_t request_id, const Error& error) {
  std::string out = R"({"type":"response_error","request_id":)";
  json::append_int(out, request_id);
  out.append(R"(,"error":)");
  json::append_error(out, error);
  out.push_back('}');
  return out;
}

class JsonStatementResponse final : public WsEncoder::StatementResponse {
 public:
  explicit JsonStatementResponse(json::ResponseBudget budget) : writer_(result_, budget) {}
  ResultSink& sink() override { return writer_; }
  std::string finish(std::int32_t request_id) override {
    if (writer_.error()) return error_message(request_id, *writer_.error());
    return result_response(request_id, "execute", result_);
  }

 private:
  std::string result_;
  json::StmtResultWriter writer_;
};

class JsonBatchResponse final : public WsEncoder::BatchResponse {
 public:
  JsonBatchResponse(std::size_t steps, json::ResponseBudget budget)
      : writer_(result_, steps, budget) {}
  ResultSink& sink() override { return writer_; }
  std::string finish(std::int32_t request_id, const std::optional<Error>& batch_error) override {
    if (batch_error) return error_message(request_id, *batch_error);
    writer_.finish();
    return result_response(request_id, "batch", result_);
  }

 private:
  std::string result_;
  json::BatchResultWriter writer_;
};

// Each entry is kept as its own JSON text; a fetch joins the next ones.
class JsonCursorEntries final : public WsEncoder::CursorEntries {
 public:
  void step_begin(std::uint32_t step, const engine::Statement& statement) override {
    encode([&](json::CursorEntryWriter& w) { w.step_begin(step, statement); });
  }
  void step_row(const engine::Statement& statement) override {
    encode([&](json::CursorEntryWriter& w) { w.step_row(statement); });
  }
  void step_end(const StepStats& stats) override {
    encode([&](json::CursorEntryWriter& w) { w.step_end(stats); });
  }
  void step_error(std::uint32_t step, const Error& error) override {
    encode([&](json::CursorEntryWriter& w) { w.step_error(step, error); });
  }

  std::string fetch(std::int32_t request_id, std::uint32_t max_count,
                    std::size_t max_bytes) override {
    std::string out;
    open_response(out, request_id, "fetch_cursor");
    out.append(R"(,"entries":[)");
    std::size_t bytes = 0;
    for (std::uint32_t n = 0;
         n < max_count && next_ < entries_.size() && (n == 0 || bytes < max_bytes); ++n) {
      if (n > 0) out.push_back(',');
      out.append(entries_[next_]);
      bytes += entries_[next_].size();
      entries_[next_].clear();
      entries_[next_].shrink_to_fit();
      ++next_;
    }
    out.append(next_ == entries_.size() ? R"(],"done":true}})" : R"(],"done":false}})");
    return out;
  }

 private:
  template <class Write>
  void encode(Write write) {
    std::string text;
    json::CursorEntryWriter writer(text);
    write(writer);
    text.pop_back();  // the HTTP encoding's newline
    entries_.push_back(std::move(text));
  }

  std::vector<std::string> entries_;
  std::size_t next_ = 0;
};

class JsonWsEncoder final : public WsEncoder {
 public:
  explicit JsonWsEncoder(json::ResponseBudget budget) : budget_(budget) {}

  std::string hello_ok() override { return R"({"type":"hello_ok"})"; }
  std::string hello_error(const Error& error) override {
    std::string out = R"({"type":"hello_error","error":)";
    json::append_error(out, error);
    out.push_back('}');
    return out;
  }
  std::string response_error(std::int32_t request_id, const Error& error) override {
    return error_message(request_id, error);
  }
  std::string response(std::int32_t request_id, WsEmptyResponse type) override {
    std::string out;
    open_response(out, request_id, type_name(type));
    out.append("}}");
    return out;
  }
  std::string get_autocommit(std::int32_t request_id, bool is_autocommit) override {
    std::string out;
    open_response(out, request_id, "get_autocommit");
    out.append(is_autocommit ? R"(,"is_autocommit":true}})" : R"(,"is_autocommit":false}})");
    return out;
  }
  std::string describe(std::int32_t request_id, const DescribeResult& result) override {
    std::string out;
    open_response(out, request_id, "describe");
    out.append(R"(,"result":)");
    json::append_describe_result(out, result);
    out.append("}}");
    return out;
  }
  std::unique_ptr<StatementResponse> execute() override {
    return std::make_unique<JsonStatementResponse>(budget_);
  }
  std::unique_ptr<BatchResponse> batch(std::size_t steps) override {
    return std::make_unique<JsonBatchResponse>(steps, budget_);
  }
  std::unique_ptr<CursorEntries> cursor() override { return std::make_unique<JsonCursorEntries>(); }

 private:
  json::ResponseBudget budget_;
};

}  // namespace

std::unique_ptr<WsEncoder> make_json_ws_encoder(json::ResponseBudget budget) {
  return std::make_unique<JsonWsEncoder>(budget);
}

}  // namespace libsql::hrana
