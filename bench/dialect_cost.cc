// dialect_cost.cc: runs one variant of one dialect case for a number of operations, for
// dialect_cost.sh to count the instructions of measured_run() under callgrind.
//
//   dialect_cost <case> <no_dialect|dialect> <operations>
//   dialect_cost --list      (each case's name and kind, plain or rewrite, a line each)

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bench/dialect_cases.h"

// Not inlined: callgrind collects only inside this function (--toggle-collect).
[[gnu::noinline]] void measured_run(libsql::bench::PrepareLoop& loop, long operations) {
  loop.run(operations);
}

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--list") {
    for (const libsql::bench::DialectCase& c : libsql::bench::dialect_cases()) {
      std::printf("%.*s %s\n", static_cast<int>(c.name.size()), c.name.data(),
                  c.plain ? "plain" : "rewrite");
    }
    return 0;
  }
  const std::string_view variant = argc == 4 ? argv[2] : "";
  const long operations = argc == 4 ? std::strtol(argv[3], nullptr, 10) : 0;
  if (operations <= 0 || (variant != "no_dialect" && variant != "dialect")) {
    std::fprintf(stderr, "usage: %s <case> <no_dialect|dialect> <operations>\n", argv[0]);
    return 2;
  }
  const libsql::bench::DialectCase* dialect_case = libsql::bench::find_dialect_case(argv[1]);
  if (dialect_case == nullptr) {
    std::fprintf(stderr, "unknown case: %s\n", argv[1]);
    return 2;
  }
  libsql::bench::PrepareLoop loop(*dialect_case, variant);
  measured_run(loop, operations);
  return 0;
}
