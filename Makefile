# The project's commands. On a fresh Debian bookworm machine, `make run` and `make test`
# are all you need: both set up what is missing first (scripts/setup).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
ASAN_DIR ?= build-asan
CTEST_JOBS ?= 2
HTTP_LISTEN_ADDR ?= 127.0.0.1:8080
DB_PATH ?= data.sqld

.PHONY: all setup configure build test run bench asan format clean

all: build

setup:
	@scripts/setup

configure: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(CTEST_JOBS)

run: build
	$(BUILD_DIR)/tools/sqld/sqld --db-path $(DB_PATH) --http-listen-addr $(HTTP_LISTEN_ADDR)

bench: build
	$(BUILD_DIR)/bench/api_bench --benchmark_repetitions=10 \
	  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
	bench/api_cost.sh $(BUILD_DIR)
	$(BUILD_DIR)/bench/dialect_bench --benchmark_repetitions=10 \
	  --benchmark_report_aggregates_only=true
	bench/dialect_cost.sh $(BUILD_DIR)
	bench/server_bench.sh $(BUILD_DIR)/tools/sqld/sqld
	bench/replication_bench.sh $(BUILD_DIR)/tools/sqld/sqld

# Every test again under AddressSanitizer and UBSan.
asan: setup
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLIBSQL_SANITIZE=ON \
	  -DLIBSQL_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_DIR)
	LIBSQL_COMPAT_SANITIZED=1 ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(CTEST_JOBS)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc' '*.c' '*.h.in' | grep -v '^tests/compat/node_modules')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
