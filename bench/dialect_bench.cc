// dialect_bench.cc: times preparing each dialect case (dialect_cases.h) on a connection
// with the libSQL dialect against one without, on the same file, and prints the ratios.
//
// One operation takes well under a millisecond, and on a shared VM the machine's speed
// drifts by more than the 2% in question between two benchmarks run seconds apart. So
// each case is one benchmark that runs both variants in alternating batches of kBatch
// operations (which goes first alternates too) and times each batch: drift hits both
// alike. The benchmark's own time is that of one batch with the dialect; its counters
// give both times per operation and their ratio. dialect_cost.sh gives the noise-free
// instruction counts.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench/dialect_cases.h"

namespace {

using libsql::bench::DialectCase;
using libsql::bench::PrepareLoop;

constexpr long kBatch = 50;

double seconds_for_batch(PrepareLoop& loop) {
  const auto start = std::chrono::steady_clock::now();
  loop.run(kBatch);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_paired(benchmark::State& state, const DialectCase& dialect_case) {
  PrepareLoop without(dialect_case, "no_dialect");
  PrepareLoop with(dialect_case, "dialect");
  double without_seconds = 0;
  double with_seconds = 0;
  bool with_first = false;
  for (auto _ : state) {
    double with_batch = 0;
    if (with_first) with_batch = seconds_for_batch(with);
    without_seconds += seconds_for_batch(without);
    if (!with_first) with_batch = seconds_for_batch(with);
    with_seconds += with_batch;
    with_first = !with_first;
    state.SetIterationTime(with_batch);
  }
  const double operations = static_cast<double>(state.iterations()) * kBatch;
  state.counters["no_dialect_ns"] = without_seconds / operations * 1e9;
  state.counters["dialect_ns"] = with_seconds / operations * 1e9;
  state.counters["ratio"] = with_seconds / without_seconds;
}

// Console output, then one line per case from the median over repetitions (or the single
// run): both times and the ratio.
class PairedReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (run.error_occurred || !run.counters.contains("ratio")) continue;
      if (aggregate && run.aggregate_name != "median") continue;
      const std::string& name = run.run_name.function_name;
      auto& entry = rows_[name];
      if (!aggregate && entry.from_median) continue;
      entry = {run.counters.at("no_dialect_ns").value, run.counters.at("dialect_ns").value,
               run.counters.at("ratio").value, aggregate};
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-28s %14s %14s %8s\n", "case", "dialect ns", "no_dialect ns", "ratio");
    for (const auto& [name, row] : rows_) {
      std::printf("%-28s %14.1f %14.1f %8.3f\n", name.c_str(), row.dialect_ns, row.no_dialect_ns,
                  row.ratio);
    }
    std::printf(
        "(per prepare + finalize of the case's statements; ratio = dialect time / no_dialect "
        "time, batches of %ld interleaved; with repetitions, their medians)\n",
        kBatch);
  }

 private:
  struct Row {
    double no_dialect_ns = 0;
    double dialect_ns = 0;
    double ratio = 0;
    bool from_median = false;
  };
  std::map<std::string, Row> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  for (const DialectCase& dialect_case : libsql::bench::dialect_cases()) {
    benchmark::RegisterBenchmark(
        std::string(dialect_case.name).c_str(),
        [&dialect_case](benchmark::State& state) { run_paired(state, dialect_case); })
        ->UseManualTime()
        ->Unit(benchmark::kNanosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  PairedReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
