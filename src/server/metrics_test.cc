// metrics_test.cc: render() is valid Prometheus text exposition format 0.0.4, and the
// counts in it are exact under concurrent updates.

#include "server/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace libsql::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  std::string value;
};

bool is_name_start(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool is_name_char(char c, bool colon_ok) {
  return is_name_start(c, colon_ok) || (c >= '0' && c <= '9');
}

// Takes a metric name (colon_ok) or a label name off the front of `in`; empty if none.
std::string take_name(std::string_view& in, bool colon_ok) {
  std::size_t length = 0;
  if (!in.empty() && is_name_start(in[0], colon_ok)) {
    while (length < in.size() && is_name_char(in[length], colon_ok)) ++length;
  }
  std::string name(in.substr(0, length));
  in.remove_prefix(length);
  return name;
}

// Takes a double-quoted label value off the front of `in`, unescaped as Prometheus' parser
// does; nullopt on a missing quote or an escape other than \\, \" and \n.
std::optional<std::string> take_label_value(std::string_view& in) {
  if (in.empty() || in[0] != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (in[i] == '"') {
      in.remove_prefix(i + 1);
      return out;
    }
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (++i == in.size()) return std::nullopt;
    switch (in[i]) {
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'n':
        out += '\n';
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

// A sample value: a Go float, +Inf, -Inf or NaN.
bool is_sample_value(std::string_view value) {
  if (value == "+Inf" || value == "-Inf" || value == "NaN") return true;
  if (value.empty() || value.find_first_not_of("0123456789.eE+-") != std::string_view::npos) {
    return false;
  }
  const std::string copy(value);
  char* end = nullptr;
  std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

// One sample line of the 0.0.4 grammar: name, optional {label="value",...}, one space,
// value, no timestamp (we never send one).
std::optional<Sample> parse_sample(std::string_view line) {
  Sample sample;
  sample.name = take_name(line, true);
  if (sample.name.empty()) return std::nullopt;
  if (!line.empty() && line[0] == '{') {
    line.remove_prefix(1);
    while (!line.empty() && line[0] != '}') {
      std::string label = take_name(line, false);
      if (label.empty() || line.empty() || line[0] != '=') return std::nullopt;
      line.remove_prefix(1);
      std::optional<std::string> value = take_label_value(line);
      if (!value || !sample.labels.emplace(label, *value).second) return std::nullopt;
      if (!line.empty() && line[0] == ',') line.remove_prefix(1);
    }
    if (line.empty()) return std::nullopt;
    line.remove_prefix(1);
  }
  if (line.empty() || line[0] != ' ') return std::nullopt;
  line.remove_prefix(1);
  if (!is_sample_value(line)) return std::nullopt;
  sample.value = std::string(line);
  return sample;
}

// Parses render()'s output line by line against the 0.0.4 grammar, failing the test on
// each line that breaks it. Checks that every family has exactly one HELP and one TYPE,
// both before its samples, and that each sample belongs to the family declared last.
std::vector<Sample> parse_exposition(const std::string& text) {
  static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                               "untyped"};
  std::vector<Sample> samples;
  std::set<std::string> helped, typed;
  std::string family, family_type;
  EXPECT_TRUE(!text.empty() && text.back() == '\n') << "the exposition ends with a newline";
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view rest = line;
    if (rest.starts_with("# HELP ")) {
      rest.remove_prefix(7);
      const std::string name = take_name(rest, true);
      EXPECT_TRUE(!name.empty() && rest.starts_with(" ") && rest.size() > 1)
          << "bad HELP line: " << line;
      EXPECT_TRUE(helped.insert(name).second) << "second HELP for " << name;
      EXPECT_FALSE(typed.count(name)) << "HELP after TYPE for " << name;
      family = name;
      family_type.clear();
    } else if (rest.starts_with("# TYPE ")) {
      rest.remove_prefix(7);
      const std::string name = take_name(rest, true);
      EXPECT_TRUE(rest.starts_with(" ") && kTypes.count(std::string(rest.substr(1))))
          << "bad TYPE line: " << line;
      EXPECT_TRUE(typed.insert(name).second) << "second TYPE for " << name;
      EXPECT_EQ(name, family) << "TYPE not right after its HELP";
      family_type = rest.substr(1);
    } else if (std::optional<Sample> sample = parse_sample(rest)) {
      EXPECT_FALSE(family_type.empty()) << "sample before any TYPE: " << line;
      if (family_type == "histogram") {
        EXPECT_TRUE(sample->name == family + "_bucket" || sample->name == family + "_sum" ||
                    sample->name == family + "_count")
            << line << " is not part of histogram " << family;
      } else {
        EXPECT_EQ(sample->name, family) << line << " is not in the family above it";
      }
      samples.push_back(std::move(*sample));
    } else {
      ADD_FAILURE() << "not a valid exposition line: [" << line << "]";
    }
  }
  EXPECT_EQ(helped, typed) << "every family has both HELP and TYPE";
  return samples;
}

// The value of the one sample named `name` whose labels include `labels`.
std::optional<std::string> find_value(const std::vector<Sample>& samples, std::string_view name,
                                      const std::map<std::string, std::string>& labels) {
  std::optional<std::string> found;
  for (const Sample& sample : samples) {
    if (sample.name != name) continue;
    const bool matches = std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
      const auto it = sample.labels.find(label.first);
      return it != sample.labels.end() && it->second == label.second;
    });
    if (!matches) continue;
    EXPECT_FALSE(found.has_value()) << "two samples of " << name << " match";
    found = sample.value;
  }
  return found;
}

// The checker below the other tests rely on refuses what Prometheus refuses.
TEST(Metrics, ExpositionCheckerRejectsMalformedLines) {
  EXPECT_TRUE(parse_sample(R"(a_total{namespace="x\"y",kind="ws"} 3)"));
  EXPECT_TRUE(parse_sample("up 1.5e-05"));
  EXPECT_FALSE(parse_sample(R"(a{namespace="x"y"} 1)")) << "unescaped quote";
  EXPECT_FALSE(parse_sample(R"(a{namespace="x\ty"} 1)")) << "unknown escape";
  EXPECT_FALSE(parse_sample(R"(a{namespace="x"} )")) << "no value";
  EXPECT_FALSE(parse_sample(R"(a{namespace="x" 1)")) << "unclosed braces";
  EXPECT_FALSE(parse_sample(R"(a{a="1",a="2"} 1)")) << "label twice";
  EXPECT_FALSE(parse_sample("1a 1")) << "name starting with a digit";
  EXPECT_FALSE(parse_sample("a 0x10")) << "hex value";
}

TEST(Metrics, RendersValidExpositionFormatWithOneBlockPerFamily) {
  Metrics metrics;
  auto alpha = metrics.for_namespace("alpha");
  auto beta = metrics.for_namespace("beta");
  alpha->requests(RequestKind::kHttpPipeline).increment(3);
  beta->requests(RequestKind::kWebSocket).increment();
  beta->request_errors(RequestKind::kWebSocket).increment();
  alpha->rows_read.increment(42);
  alpha->database_size_bytes.set(8192);
  beta->request_latency_seconds.observe(milliseconds(3));
  metrics.server().websocket_connections.increment(2);

  const std::string text = metrics.render();
  const std::vector<Sample> samples = parse_exposition(text);

  EXPECT_EQ(find_value(samples, "libsql_server_requests_total",
                       {{"namespace", "alpha"}, {"kind", "http_pipeline"}}),
            "3");
  EXPECT_EQ(
      find_value(samples, "libsql_server_requests_total", {{"namespace", "beta"}, {"kind", "ws"}}),
      "1");
  EXPECT_EQ(find_value(samples, "libsql_server_request_errors_total",
                       {{"namespace", "beta"}, {"kind", "ws"}}),
            "1");
  EXPECT_EQ(find_value(samples, "libsql_server_rows_read_total", {{"namespace", "alpha"}}), "42");
  EXPECT_EQ(find_value(samples, "libsql_server_database_size_bytes", {{"namespace", "alpha"}}),
            "8192");
  EXPECT_EQ(find_value(samples, "libsql_server_websocket_connections", {}), "2");
  EXPECT_EQ(find_value(samples, "libsql_server_namespaces", {}), "2");
  EXPECT_TRUE(find_value(samples, "libsql_server_uptime_seconds", {}).has_value());
  EXPECT_NE(text.find("# TYPE libsql_server_request_latency_seconds histogram\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE libsql_server_stream_handles gauge\n"), std::string::npos);

  // Every counter family ends in _total.
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ") && line.ends_with(" counter")) {
      EXPECT_NE(line.find("_total counter"), std::string::npos) << line;
    }
  }
}

TEST(Metrics, RendersAValidExpositionWithNoNamespaces) {
  Metrics metrics;
  const std::vector<Sample> samples = parse_exposition(metrics.render());
  EXPECT_EQ(find_value(samples, "libsql_server_namespaces", {}), "0");
}

TEST(Metrics, ForNamespaceReturnsTheSameObjectUntilForgotten) {
  Metrics metrics;
  auto first = metrics.for_namespace("db");
  EXPECT_EQ(first.get(), metrics.for_namespace(std::string("db")).get());
  EXPECT_EQ(first->name, "db");
  EXPECT_NE(first.get(), metrics.for_namespace("other").get());
}

TEST(Metrics, CountersFromManyThreadsSumExactly) {
  Metrics metrics;
  constexpr int kThreads = 8;
  constexpr int kIncrements = 100'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      // Each thread looks the namespace up itself, as each stream does.
      std::shared_ptr<NamespaceMetrics> ns = metrics.for_namespace("shared");
      for (int i = 0; i < kIncrements; ++i) {
        ns->requests(RequestKind::kHttpCursor).increment();
        ns->rows_written.increment(2);
        ns->open_streams.increment();
        ns->open_streams.decrement();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  auto ns = metrics.for_namespace("shared");
  EXPECT_EQ(ns->requests(RequestKind::kHttpCursor).value(), std::uint64_t{kThreads} * kIncrements)
      << "a lost increment";
  EXPECT_EQ(ns->rows_written.value(), std::uint64_t{2} * kThreads * kIncrements);
  EXPECT_EQ(ns->open_streams.value(), 0) << "gauge ups and downs do not cancel out";
  const std::vector<Sample> samples = parse_exposition(metrics.render());
  EXPECT_EQ(find_value(samples, "libsql_server_requests_total",
                       {{"namespace", "shared"}, {"kind", "http_cursor"}}),
            "800000");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndInfEqualsCount) {
  Metrics metrics;
  auto ns = metrics.for_namespace("h");
  LatencyHistogram& histogram = ns->request_latency_seconds;
  histogram.observe(nanoseconds(0));          // le 0.0005
  histogram.observe(milliseconds(1));         // exactly on a bound: le 0.001, inclusive
  histogram.observe(nanoseconds(1'000'001));  // just past it: le 0.0025
  histogram.observe(milliseconds(200));       // le 0.25
  histogram.observe(seconds(10));             // le 10
  histogram.observe(seconds(11));             // +Inf only
  histogram.observe(nanoseconds(-5));         // a clock step back counts as zero

  const LatencyHistogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.count, 7u);
  EXPECT_EQ(snapshot.cumulative.back(), snapshot.count);
  EXPECT_EQ(snapshot.cumulative[0], 2u) << "le=0.0005";
  EXPECT_EQ(snapshot.cumulative[1], 3u) << "le=0.001";
  EXPECT_EQ(snapshot.cumulative[2], 4u) << "le=0.0025";
  EXPECT_EQ(snapshot.cumulative[8], 5u) << "le=0.25";
  EXPECT_EQ(snapshot.cumulative[13], 6u) << "le=10";
  EXPECT_NEAR(snapshot.sum_seconds, 0.001 + 0.001000001 + 0.2 + 10 + 11, 1e-9);

  const std::vector<Sample> samples = parse_exposition(metrics.render());
  std::vector<std::uint64_t> buckets;
  std::vector<std::string> les;
  for (const Sample& sample : samples) {
    if (sample.name != "libsql_server_request_latency_seconds_bucket") continue;
    EXPECT_EQ(sample.labels.at("namespace"), "h");
    les.push_back(sample.labels.at("le"));
    buckets.push_back(std::stoull(sample.value));
  }
  ASSERT_EQ(buckets.size(), LatencyHistogram::kBucketCount);
  EXPECT_EQ(les.front(), "0.0005");
  EXPECT_EQ(les.back(), "+Inf");
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end())) << "buckets are not cumulative";
  const std::string count =
      find_value(samples, "libsql_server_request_latency_seconds_count", {}).value_or("");
  EXPECT_EQ(count, "7");
  EXPECT_EQ(std::to_string(buckets.back()), count) << "+Inf bucket differs from _count";
  const double sum =
      std::stod(find_value(samples, "libsql_server_request_latency_seconds_sum", {}).value());
  EXPECT_NEAR(sum, 21.202000001, 1e-9);
}

TEST(Metrics, HistogramCountsEveryObservationFromManyThreads) {
  LatencyHistogram histogram;
  constexpr int kThreads = 8;
  constexpr int kObservations = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kObservations; ++i) histogram.observe(milliseconds((i + t) % 3000));
    });
  }
  for (std::thread& thread : threads) thread.join();
  const LatencyHistogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.count, std::uint64_t{kThreads} * kObservations);
  EXPECT_EQ(snapshot.cumulative.back(), snapshot.count);
}

TEST(Metrics, EscapesHostileNamespaceNamesInLabels) {
  Metrics metrics;
  const std::string hostile = "a\"b\\c\nd} x=\"1\",{";
  metrics.for_namespace(hostile)->requests(RequestKind::kDump).increment(5);
  // Invalid UTF-8 (a lone continuation byte, a truncated sequence) would make Prometheus
  // reject the scrape: it is replaced by U+FFFD; valid multibyte text passes unchanged.
  metrics.for_namespace("bad\x80utf8\xE2\x82")->rows_read.increment(1);
  metrics.for_namespace("caf\xC3\xA9 \xF0\x9F\x90\xB1")->rows_read.increment(2);

  const std::string text = metrics.render();
  EXPECT_NE(text.find(R"(namespace="a\"b\\c\nd} x=\"1\",{")"), std::string::npos) << text;
  const std::vector<Sample> samples = parse_exposition(text);
  EXPECT_EQ(find_value(samples, "libsql_server_requests_total",
                       {{"namespace", hostile}, {"kind", "dump"}}),
            "5")
      << "the label does not unescape to the namespace name";
  EXPECT_EQ(find_value(samples, "libsql_server_rows_read_total",
                       {{"namespace", "bad\xEF\xBF\xBDutf8\xEF\xBF\xBD\xEF\xBF\xBD"}}),
            "1");
  EXPECT_EQ(find_value(samples, "libsql_server_rows_read_total",
                       {{"namespace", "caf\xC3\xA9 \xF0\x9F\x90\xB1"}}),
            "2");
}

TEST(Metrics, ForgettingANamespaceRemovesItsSeriesButHoldersStayValid) {
  Metrics metrics;
  auto kept = metrics.for_namespace("kept");
  auto doomed = metrics.for_namespace("doomed");
  doomed->statements_executed.increment(7);
  GaugeGuard stream(doomed->open_streams, doomed);

  metrics.forget_namespace("doomed");
  metrics.forget_namespace("never-existed");
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("doomed"), std::string::npos) << "a forgotten namespace is rendered";
  const std::vector<Sample> samples = parse_exposition(text);
  EXPECT_EQ(find_value(samples, "libsql_server_namespaces", {}), "1");
  EXPECT_TRUE(
      find_value(samples, "libsql_server_statements_executed_total", {{"namespace", "kept"}}));

  // The holder's object still works, and the guard's decrement lands on it even after the
  // holder lets go.
  doomed->statements_executed.increment();
  EXPECT_EQ(doomed->statements_executed.value(), 8u);
  std::weak_ptr<NamespaceMetrics> weak = doomed;
  doomed.reset();
  EXPECT_FALSE(weak.expired()) << "the guard keeps its namespace alive";
  EXPECT_EQ(weak.lock()->open_streams.value(), 1);
  stream.reset();
  EXPECT_TRUE(weak.expired());

  auto reborn = metrics.for_namespace("doomed");
  EXPECT_EQ(reborn->statements_executed.value(), 0u) << "a new namespace starts from zero";
}

TEST(Metrics, GaugeGuardCountsWhatIsOpenAcrossMoves) {
  Gauge gauge;
  {
    GaugeGuard first(gauge);
    EXPECT_EQ(gauge.value(), 1);
    GaugeGuard moved(std::move(first));
    EXPECT_EQ(gauge.value(), 1) << "a move neither opens nor closes";
    GaugeGuard second(gauge);
    EXPECT_EQ(gauge.value(), 2);
    second = std::move(moved);
    EXPECT_EQ(gauge.value(), 1) << "assigning over a guard closes what it held";
    second.reset();
    second.reset();
    EXPECT_EQ(gauge.value(), 0) << "reset decrements once";
  }
  EXPECT_EQ(gauge.value(), 0);
}

TEST(Metrics, LatencyTimerObservesExactlyOnce) {
  LatencyHistogram histogram;
  {
    LatencyTimer timer(histogram);
    LatencyTimer moved(std::move(timer));
    std::this_thread::sleep_for(milliseconds(2));
    EXPECT_GE(moved.stop(), milliseconds(2));
    EXPECT_EQ(moved.stop(), nanoseconds(0)) << "a second stop observes nothing";
  }
  const LatencyHistogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.count, 1u);
  EXPECT_GE(snapshot.sum_seconds, 0.002);
  EXPECT_EQ(snapshot.cumulative[1], 0u) << "2 ms or more lands above the 0.001 s bucket";
}

TEST(Metrics, RendersWhileNamespacesComeAndGo) {
  Metrics metrics;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&metrics, &stop, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string name = "ns" + std::to_string((i + t) % 16);
        auto ns = metrics.for_namespace(name);
        GaugeGuard connection(ns->open_connections, ns);
        LatencyTimer timer(ns->request_latency_seconds, ns);
        ns->requests(RequestKind::kHttpV1).increment();
        if (i % 7 == 0) metrics.forget_namespace(name);
      }
    });
  }
  for (int i = 0; i < 20; ++i) parse_exposition(metrics.render());
  stop = true;
  for (std::thread& writer : writers) writer.join();
}

TEST(Metrics, ExportsTheContentTypeOfFormat004) {
  EXPECT_EQ(kMetricsContentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(request_kind_label(RequestKind::kLegacyHttp), "legacy_http");
  EXPECT_EQ(request_kind_label(RequestKind::kProxy), "proxy");
}

}  // namespace
}  // namespace libsql::server
