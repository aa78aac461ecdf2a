// api_bench.cc: times each API case (api_cases.h) against its raw-sqlite3 reference and
// prints the ratios. Repetitions are interleaved at random by `make bench`, so drift on
// the machine hits both variants alike; api_cost.sh gives the noise-free instruction
// counts.

#include <benchmark/benchmark.h>

#include "bench/api_cases.h"
#include "bench/ratio_reporter.h"

namespace {

void register_cases() {
  for (const auto& name : libsql::bench::api_case_names()) {
    for (const char* variant : {"reference", "libsql"}) {
      benchmark::RegisterBenchmark((name + "/" + variant).c_str(), [name, variant](
                                                                       benchmark::State& state) {
        auto api_case = libsql::bench::make_api_case(name, variant);
        for (auto _ : state) {
          state.PauseTiming();
          api_case->prepare();
          state.ResumeTiming();
          api_case->run();
          state.PauseTiming();
          api_case->finish();
          state.ResumeTiming();
        }
      })->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_cases();
  return libsql::bench::run_with_ratios(argc, argv, "reference");
}
