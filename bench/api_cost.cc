// api_cost.cc: runs one variant of one API case once, for api_cost.sh to count the
// instructions of measured_run() under callgrind.
//
//   api_cost <case> <reference|libsql>

#include <cstdio>
#include <string>

#include "bench/api_cases.h"

// Not inlined: callgrind collects only inside this function (--toggle-collect).
[[gnu::noinline]] void measured_run(libsql::bench::ApiCase& api_case) { api_case.run(); }

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <case> <reference|libsql>\n", argv[0]);
    return 2;
  }
  auto api_case = libsql::bench::make_api_case(argv[1], argv[2]);
  if (!api_case) {
    std::fprintf(stderr, "unknown case or variant: %s %s\n", argv[1], argv[2]);
    return 2;
  }
  api_case->prepare();
  measured_run(*api_case);
  api_case->finish();
  return 0;
}
