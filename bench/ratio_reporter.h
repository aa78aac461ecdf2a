// ratio_reporter.h: Google Benchmark output plus, at the end, each case's time as a
// ratio against its reference from the same run.
//
// Benchmarks are named "<case>/<variant>"; the variant called `reference` is the
// denominator. With repetitions, medians are compared; otherwise single runs.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace libsql::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::string reference) : reference_(std::move(reference)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      std::string name = run.run_name.str();
      const auto slash = name.rfind('/');
      if (slash == std::string::npos) continue;
      auto& entry = times_[name.substr(0, slash)][name.substr(slash + 1)];
      // A median replaces single repetitions; a single run fills in when there is none.
      if (aggregate || entry.second == false) entry = {run.GetAdjustedRealTime(), aggregate};
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-28s %-12s %14s %14s %8s\n", "case", "variant", "time", reference_.c_str(),
                "ratio");
    for (const auto& [name, variants] : times_) {
      const auto ref = variants.find(reference_);
      if (ref == variants.end()) continue;
      for (const auto& [variant, time] : variants) {
        if (variant == reference_) continue;
        std::printf("%-28s %-12s %14.3f %14.3f %8.3f\n", name.c_str(), variant.c_str(), time.first,
                    ref->second.first, time.first / ref->second.first);
      }
    }
    std::printf("(ratio = time / %s time; below 1.0 is faster than the reference)\n",
                reference_.c_str());
  }

 private:
  std::string reference_;
  // case -> variant -> (time in the benchmark's unit, from an aggregate?)
  std::map<std::string, std::map<std::string, std::pair<double, bool>>> times_;
};

// main() for a benchmark binary: runs everything and prints the ratio table.
inline int run_with_ratios(int argc, char** argv, const std::string& reference) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter(reference);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace libsql::bench
