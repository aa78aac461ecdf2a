// dialect_bench.cc: times preparing each dialect case (dialect_cases.h) on a connection
// with the libSQL dialect against one without, on the same file, and prints the ratios.
// Repetitions are interleaved at random by `make bench`, so drift on the machine hits
// both variants alike; dialect_cost.sh gives the noise-free instruction counts.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench/dialect_cases.h"
#include "bench/ratio_reporter.h"

namespace {

void register_cases() {
  for (const libsql::bench::DialectCase& dialect_case : libsql::bench::dialect_cases()) {
    for (const char* variant : {"no_dialect", "dialect"}) {
      const std::string name = std::string(dialect_case.name) + "/" + variant;
      benchmark::RegisterBenchmark(name.c_str(), [&dialect_case, variant](benchmark::State& state) {
        libsql::bench::PrepareLoop loop(dialect_case, variant);
        for (auto _ : state) loop.run(1);
      })->Unit(benchmark::kNanosecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_cases();
  return libsql::bench::run_with_ratios(argc, argv, "no_dialect");
}
