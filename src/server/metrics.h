// metrics.h: sqld's counters, gauges and latency histograms, server-wide and per namespace,
// rendered in the Prometheus text exposition format 0.0.4 for the admin listener's
// GET /metrics. Names follow Turso's sqld (libsql-server/src/metrics.rs) where a series
// matches, with Prometheus' `_total` suffix on counters.
// Knows nothing of HTTP, Hrana or SQLite: callers count what they do, the admin route
// serves render() with kMetricsContentType.
//
// Threads: every member here may be called from any thread. Updating a series is one
// relaxed atomic operation; only for_namespace(), forget_namespace() and render() take a
// lock, so callers look a namespace's series up once (when they load the namespace or
// open a stream) and hold the shared_ptr.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace libsql::server {

// The Content-Type of render()'s output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// A monotonically increasing count.
class Counter {
 public:
  void increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down: things open right now, a size.
class Gauge {
 public:
  void increment(std::int64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  void decrement(std::int64_t by = 1) { value_.fetch_sub(by, std::memory_order_relaxed); }
  void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Durations counted into fixed buckets from 0.5 ms to 10 s, plus +Inf.
class LatencyHistogram {
 public:
  // Upper bounds (inclusive, as Prometheus' `le`) in nanoseconds, and the same bounds as
  // they appear in the `le` label.
  static constexpr std::array<std::int64_t, 14> kBoundsNanos = {
      500'000,     1'000'000,   2'500'000,   5'000'000,  10'000'000, 25'000'000,    50'000'000,
      100'000'000, 250'000'000, 500'000'000, 1000000000, 2500000000, 5'000'000'000, 10'000'000'000};
  static constexpr std::array<std::string_view, 14> kBoundLabels = {
      "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
      "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
  static constexpr std::size_t kBucketCount = kBoundsNanos.size() + 1;  // the last is +Inf

  // A negative duration (a clock stepping back) counts as zero.
  void observe(std::chrono::nanoseconds elapsed);

  struct Snapshot {
    // cumulative[i] counts observations <= kBoundsNanos[i]; the last entry is +Inf and
    // equals count.
    std::array<std::uint64_t, kBucketCount> cumulative{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  // Consistent in itself (the +Inf bucket is count) even while other threads observe;
  // sum_seconds may include an observation or two more or fewer than count.
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBucketCount> buckets_{};  // not cumulative
  std::atomic<std::uint64_t> sum_nanos_{0};
};

// What a request came in as; the `kind` label of the request counters.
enum class RequestKind : std::uint8_t {
  kHttpPipeline,  // Hrana over HTTP: POST /v2|v3|v3-protobuf/pipeline
  kHttpCursor,    // Hrana over HTTP: POST /v3|v3-protobuf/cursor
  kHttpV1,        // Hrana v1 over HTTP: POST /v1/execute, /v1/batch
  kLegacyHttp,    // the legacy HTTP API: POST / with {"statements": [...]}
  kWebSocket,     // one Hrana request on a WebSocket
  kDump,          // GET /dump
  kReplication,   // gRPC-Web ReplicationLog calls from replicas
  kProxy,         // gRPC-Web Proxy calls (writes forwarded by replicas)
};
inline constexpr std::size_t kRequestKindCount = 8;
// "http_pipeline", "http_cursor", "http_v1", "legacy_http", "ws", "dump", "replication",
// "proxy".
std::string_view request_kind_label(RequestKind kind);

// One namespace's series. Held by shared_ptr: forget_namespace() only drops the registry's
// reference, so a stream that still holds one keeps counting into an object nobody renders.
struct NamespaceMetrics {
  explicit NamespaceMetrics(std::string namespace_name) : name(std::move(namespace_name)) {}
  NamespaceMetrics(const NamespaceMetrics&) = delete;
  NamespaceMetrics& operator=(const NamespaceMetrics&) = delete;

  Counter& requests(RequestKind kind) { return requests_by_kind[static_cast<std::size_t>(kind)]; }
  // A request answered with an error as a whole (an HTTP error status, a Hrana request
  // error); a failing statement inside a batch counts in statement_errors only.
  Counter& request_errors(RequestKind kind) {
    return request_errors_by_kind[static_cast<std::size_t>(kind)];
  }

  const std::string name;

  std::array<Counter, kRequestKindCount> requests_by_kind;        // libsql_server_requests_total
  std::array<Counter, kRequestKindCount> request_errors_by_kind;  // ..._request_errors_total
  Counter statements_executed;  // libsql_server_statements_executed_total
  Counter statement_errors;     // libsql_server_statement_errors_total
  Counter rows_read;            // libsql_server_rows_read_total
  Counter rows_written;         // libsql_server_rows_written_total

  Gauge open_streams;      // libsql_server_stream_handles: Hrana streams held open
  Gauge open_connections;  // libsql_server_concurrent_connections: SQLite connections in use
  // libsql_server_database_size_bytes: set by the namespace's owner (after a commit or a
  // checkpoint, from page_count * page_size); render() never asks the database.
  Gauge database_size_bytes;

  LatencyHistogram request_latency_seconds;  // libsql_server_request_latency_seconds
};

// Series that belong to no namespace.
struct ServerMetrics {
  Gauge http_connections;       // libsql_server_http_connections: TCP connections open
  Gauge websocket_connections;  // libsql_server_websocket_connections: upgraded ones open
};

class Metrics {
 public:
  Metrics();  // uptime counts from here
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The series of namespace `name`, created on first use; the same object until
  // forget_namespace(name). Takes a lock: call it once per namespace or stream, not per
  // statement.
  std::shared_ptr<NamespaceMetrics> for_namespace(std::string_view name);
  // Stops rendering `name`'s series (the namespace was deleted). Holders keep a valid
  // object; a later for_namespace(name) starts from zero, which Prometheus reads as a
  // counter reset.
  void forget_namespace(std::string_view name);

  ServerMetrics& server() { return server_; }
  const ServerMetrics& server() const { return server_; }

  // Every series in the text exposition format 0.0.4: one # HELP and # TYPE block per
  // family, namespaces in name order under it. Updates keep going while it runs.
  std::string render() const;

 private:
  const std::chrono::steady_clock::time_point started_;
  ServerMetrics server_;
  mutable std::mutex mutex_;  // guards namespaces_ only
  std::map<std::string, std::shared_ptr<NamespaceMetrics>, std::less<>> namespaces_;
};

// Increments a gauge now and decrements it when destroyed or reset(): an open stream, a
// connection in use. `keep_alive` (usually the NamespaceMetrics that holds `gauge`) is held
// until then, so the decrement never lands on a freed object.
class GaugeGuard {
 public:
  GaugeGuard() = default;
  explicit GaugeGuard(Gauge& gauge, std::shared_ptr<const void> keep_alive = nullptr);
  GaugeGuard(GaugeGuard&& other) noexcept;
  GaugeGuard& operator=(GaugeGuard&& other) noexcept;
  ~GaugeGuard() { reset(); }

  void reset();  // decrements now, once

 private:
  Gauge* gauge_ = nullptr;
  std::shared_ptr<const void> keep_alive_;
};

// Measures from construction and observes the elapsed time into `histogram` at stop() or
// destruction, whichever is first. `keep_alive` as in GaugeGuard.
class LatencyTimer {
 public:
  LatencyTimer() = default;
  explicit LatencyTimer(LatencyHistogram& histogram,
                        std::shared_ptr<const void> keep_alive = nullptr);
  LatencyTimer(LatencyTimer&& other) noexcept;
  LatencyTimer& operator=(LatencyTimer&& other) noexcept;
  ~LatencyTimer() { stop(); }

  // Observes now (once; later calls observe nothing) and returns the time measured.
  std::chrono::nanoseconds stop();

 private:
  LatencyHistogram* histogram_ = nullptr;
  std::shared_ptr<const void> keep_alive_;
  std::chrono::steady_clock::time_point started_;
};

// Counts one request on a namespace's series: always its latency, when it ends; as an
// error when it ends by an exception or was marked failed.
class RequestRecord {
 public:
  RequestRecord(std::shared_ptr<NamespaceMetrics> metrics, RequestKind kind)
      : metrics_(std::move(metrics)),
        kind_(kind),
        exceptions_(std::uncaught_exceptions()),
        start_(std::chrono::steady_clock::now()) {
    metrics_->requests(kind_).increment();
  }
  ~RequestRecord() {
    metrics_->request_latency_seconds.observe(std::chrono::steady_clock::now() - start_);
    if (failed_ || std::uncaught_exceptions() > exceptions_) {
      metrics_->request_errors(kind_).increment();
    }
  }
  RequestRecord(const RequestRecord&) = delete;
  RequestRecord& operator=(const RequestRecord&) = delete;

  void fail() noexcept { failed_ = true; }
  // Marks the request failed and passes `response` on.
  template <class Response>
  Response failed(Response response) {
    failed_ = true;
    return response;
  }

 private:
  std::shared_ptr<NamespaceMetrics> metrics_;
  RequestKind kind_;
  int exceptions_;
  std::chrono::steady_clock::time_point start_;
  bool failed_ = false;
};

}  // namespace libsql::server
