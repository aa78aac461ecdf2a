// metrics.cc: the registry and the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).

#include "server/metrics.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

namespace libsql::server {

namespace {

constexpr std::array<std::string_view, kRequestKindCount> kRequestKindLabels = {
    "http_pipeline", "http_cursor", "http_v1", "legacy_http", "ws", "dump", "replication", "proxy"};

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one.
// Overlong forms, surrogates and code points past U+10FFFF are invalid.
std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  if (byte(1) < second_low || byte(1) > second_high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// A label value between its double quotes: backslash, double quote and newline escaped as
// the format demands. The format is UTF-8, and one invalid byte would make Prometheus drop
// the whole scrape, so invalid bytes become U+FFFD.
void append_label_value(std::string& out, std::string_view value) {
  while (!value.empty()) {
    const std::size_t length = utf8_sequence_length(value);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      value.remove_prefix(1);
      continue;
    }
    if (length == 1) {
      switch (value[0]) {
        case '\\':
          out += "\\\\";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\n':
          out += "\\n";
          break;
        default:
          out += value[0];
      }
    } else {
      out.append(value.substr(0, length));
    }
    value.remove_prefix(length);
  }
}

template <typename Number>
void append_number(std::string& out, Number value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// `# HELP` and `# TYPE` lines; our help texts hold neither backslash nor newline, which
// are the two characters HELP would need escaped.
void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// `name{labels} value`; `labels` is already escaped, without braces, maybe empty.
template <typename Number>
void append_sample(std::string& out, std::string_view name, std::string_view labels, Number value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out += ' ';
  append_number(out, value);
  out += '\n';
}

struct NamespaceSnapshot {
  std::shared_ptr<NamespaceMetrics> metrics;
  std::string label;  // namespace="..."
};

using CounterMember = Counter NamespaceMetrics::*;
using GaugeMember = Gauge NamespaceMetrics::*;

struct CounterFamily {
  std::string_view name;
  std::string_view help;
  CounterMember member;
};

struct GaugeFamily {
  std::string_view name;
  std::string_view help;
  GaugeMember member;
};

constexpr CounterFamily kCounterFamilies[] = {
    {"libsql_server_statements_executed_total", "Number of SQL statements executed.",
     &NamespaceMetrics::statements_executed},
    {"libsql_server_statement_errors_total", "Number of SQL statements that failed.",
     &NamespaceMetrics::statement_errors},
    {"libsql_server_rows_read_total", "Number of rows read by SQL statements.",
     &NamespaceMetrics::rows_read},
    {"libsql_server_rows_written_total", "Number of rows written by SQL statements.",
     &NamespaceMetrics::rows_written},
};

constexpr GaugeFamily kGaugeFamilies[] = {
    {"libsql_server_stream_handles", "Number of Hrana streams open.",
     &NamespaceMetrics::open_streams},
    {"libsql_server_concurrent_connections", "Number of database connections in use.",
     &NamespaceMetrics::open_connections},
    {"libsql_server_database_size_bytes", "Size of the database file in bytes.",
     &NamespaceMetrics::database_size_bytes},
};

void append_requests(std::string& out, std::string_view name, std::string_view help,
                     const std::vector<NamespaceSnapshot>& namespaces,
                     Counter& (NamespaceMetrics::*by_kind)(RequestKind)) {
  append_family(out, name, "counter", help);
  std::string labels;
  for (const NamespaceSnapshot& ns : namespaces) {
    for (std::size_t i = 0; i < kRequestKindCount; ++i) {
      const auto kind = static_cast<RequestKind>(i);
      labels.assign(ns.label).append(",kind=\"").append(request_kind_label(kind)).append("\"");
      append_sample(out, name, labels, ((*ns.metrics).*by_kind)(kind).value());
    }
  }
}

void append_histogram(std::string& out, std::string_view name, std::string_view help,
                      const std::vector<NamespaceSnapshot>& namespaces) {
  append_family(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  const std::string sum = std::string(name) + "_sum";
  const std::string count = std::string(name) + "_count";
  std::string labels;
  for (const NamespaceSnapshot& ns : namespaces) {
    const LatencyHistogram::Snapshot snapshot = ns.metrics->request_latency_seconds.snapshot();
    for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
      const std::string_view le = i < LatencyHistogram::kBoundLabels.size()
                                      ? LatencyHistogram::kBoundLabels[i]
                                      : std::string_view("+Inf");
      labels.assign(ns.label).append(",le=\"").append(le).append("\"");
      append_sample(out, bucket, labels, snapshot.cumulative[i]);
    }
    append_sample(out, sum, ns.label, snapshot.sum_seconds);
    append_sample(out, count, ns.label, snapshot.count);
  }
}

}  // namespace

std::string_view request_kind_label(RequestKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kRequestKindLabels.size() ? kRequestKindLabels[index] : "unknown";
}

void LatencyHistogram::observe(std::chrono::nanoseconds elapsed) {
  const std::int64_t nanos = std::max<std::int64_t>(elapsed.count(), 0);
  // lower_bound: the first bound >= nanos, since `le` is inclusive; end() is +Inf.
  const auto bound = std::lower_bound(kBoundsNanos.begin(), kBoundsNanos.end(), nanos);
  buckets_[static_cast<std::size_t>(bound - kBoundsNanos.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(nanos), std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot snapshot;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = running;
  }
  snapshot.count = running;
  snapshot.sum_seconds = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return snapshot;
}

Metrics::Metrics() : started_(std::chrono::steady_clock::now()) {}

std::shared_ptr<NamespaceMetrics> Metrics::for_namespace(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = namespaces_.find(name);
  if (it == namespaces_.end()) {
    it = namespaces_
             .emplace(std::string(name), std::make_shared<NamespaceMetrics>(std::string(name)))
             .first;
  }
  return it->second;
}

void Metrics::forget_namespace(std::string_view name) {
  std::shared_ptr<NamespaceMetrics> dropped;  // freed after unlocking, if it was the last
  std::lock_guard lock(mutex_);
  if (auto it = namespaces_.find(name); it != namespaces_.end()) {
    dropped = std::move(it->second);
    namespaces_.erase(it);
  }
}

std::string Metrics::render() const {
  // Take the namespaces under the lock, render outside it: scraping never stalls a
  // request that is loading a namespace.
  std::vector<NamespaceSnapshot> namespaces;
  {
    std::lock_guard lock(mutex_);
    namespaces.reserve(namespaces_.size());
    for (const auto& [name, metrics] : namespaces_) namespaces.push_back({metrics, {}});
  }
  for (NamespaceSnapshot& ns : namespaces) {
    ns.label = "namespace=\"";
    append_label_value(ns.label, ns.metrics->name);
    ns.label += '"';
  }

  std::string out;
  out.reserve(4096 + namespaces.size() * 4096);

  const std::chrono::duration<double> uptime = std::chrono::steady_clock::now() - started_;
  append_family(out, "libsql_server_uptime_seconds", "gauge", "Seconds since the server started.");
  append_sample(out, "libsql_server_uptime_seconds", "", uptime.count());
  append_family(out, "libsql_server_http_connections", "gauge", "Number of HTTP connections open.");
  append_sample(out, "libsql_server_http_connections", "", server_.http_connections.value());
  append_family(out, "libsql_server_websocket_connections", "gauge",
                "Number of WebSocket connections open.");
  append_sample(out, "libsql_server_websocket_connections", "",
                server_.websocket_connections.value());
  append_family(out, "libsql_server_namespaces", "gauge", "Number of namespaces with metrics.");
  append_sample(out, "libsql_server_namespaces", "", namespaces.size());

  append_requests(out, "libsql_server_requests_total", "Number of requests, by kind.", namespaces,
                  &NamespaceMetrics::requests);
  append_requests(out, "libsql_server_request_errors_total",
                  "Number of requests answered with an error, by kind.", namespaces,
                  &NamespaceMetrics::request_errors);
  append_histogram(out, "libsql_server_request_latency_seconds",
                   "Time from receiving a request to finishing its response, in seconds.",
                   namespaces);
  for (const CounterFamily& family : kCounterFamilies) {
    append_family(out, family.name, "counter", family.help);
    for (const NamespaceSnapshot& ns : namespaces) {
      append_sample(out, family.name, ns.label, ((*ns.metrics).*family.member).value());
    }
  }
  for (const GaugeFamily& family : kGaugeFamilies) {
    append_family(out, family.name, "gauge", family.help);
    for (const NamespaceSnapshot& ns : namespaces) {
      append_sample(out, family.name, ns.label, ((*ns.metrics).*family.member).value());
    }
  }
  return out;
}

GaugeGuard::GaugeGuard(Gauge& gauge, std::shared_ptr<const void> keep_alive)
    : gauge_(&gauge), keep_alive_(std::move(keep_alive)) {
  gauge_->increment();
}

GaugeGuard::GaugeGuard(GaugeGuard&& other) noexcept
    : gauge_(std::exchange(other.gauge_, nullptr)), keep_alive_(std::move(other.keep_alive_)) {}

GaugeGuard& GaugeGuard::operator=(GaugeGuard&& other) noexcept {
  if (this != &other) {
    reset();
    gauge_ = std::exchange(other.gauge_, nullptr);
    keep_alive_ = std::move(other.keep_alive_);
  }
  return *this;
}

void GaugeGuard::reset() {
  if (gauge_ != nullptr) std::exchange(gauge_, nullptr)->decrement();
  keep_alive_.reset();
}

LatencyTimer::LatencyTimer(LatencyHistogram& histogram, std::shared_ptr<const void> keep_alive)
    : histogram_(&histogram),
      keep_alive_(std::move(keep_alive)),
      started_(std::chrono::steady_clock::now()) {}

LatencyTimer::LatencyTimer(LatencyTimer&& other) noexcept
    : histogram_(std::exchange(other.histogram_, nullptr)),
      keep_alive_(std::move(other.keep_alive_)),
      started_(other.started_) {}

LatencyTimer& LatencyTimer::operator=(LatencyTimer&& other) noexcept {
  if (this != &other) {
    stop();
    histogram_ = std::exchange(other.histogram_, nullptr);
    keep_alive_ = std::move(other.keep_alive_);
    started_ = other.started_;
  }
  return *this;
}

std::chrono::nanoseconds LatencyTimer::stop() {
  if (histogram_ == nullptr) return std::chrono::nanoseconds(0);
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now() - started_);
  std::exchange(histogram_, nullptr)->observe(elapsed);
  keep_alive_.reset();
  return elapsed;
}

}  // namespace libsql::server
