#!/usr/bin/env bash
# The sanitizer runs of scripts/test.sh (docs/SANITIZERS.md); any sanitizer report fails.
#   bash scripts/sanitizers.sh        what CI runs: asan, then tsan
#   bash scripts/sanitizers.sh asan   AddressSanitizer + UBSan (build-asan): core_tests,
#                                     config_tests, daemon_threads_tests
#   bash scripts/sanitizers.sh tsan   ThreadSanitizer (build-tsan): daemon_threads_tests
# Each builds only those test binaries, in its own build directory. daemon_threads_tests
# (tests/CMakeLists.txt, sanitizer builds only) holds the engine, gRPC API, web view,
# metrics exporter, Kafka source (librdkafka's mock cluster), alert log and terminal view
# tests of daemon_tests.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-ci}
case "$what" in ci | asan | tsan) ;; *)
  echo "usage: $0 [asan|tsan]" >&2
  exit 2
  ;;
esac

# A sizing test (100 streams of 80 classes) with no threads of its own: 90 s under TSan.
FILTER='-MetricsExporter.DefaultSettingsFitAHundredStreamsOfEightyClasses'

# -O1 -g1 instead of RelWithDebInfo's -O2 -g: compiles 2.6x faster under ASan + UBSan
# (config/loader.cc: 54 s -> 21 s) and still gives file:line in every report.
OPT='-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG'

if [ "$what" != tsan ]; then
  BUILD_DIR=build-asan BUILD_TARGETS="core_tests config_tests daemon_threads_tests" \
    bash scripts/build.sh -DPREDWATCH_SANITIZE=ON -DPREDWATCH_BUILD_TESTS=ON "$OPT"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  for t in core_tests config_tests; do
    echo "sanitizers: $t (ASan + UBSan)"
    build-asan/tests/$t --gtest_brief=1
  done
  echo "sanitizers: daemon_threads_tests (ASan + UBSan)"
  build-asan/tests/daemon_threads_tests --gtest_brief=1 --gtest_filter="$FILTER"
fi

if [ "$what" != asan ]; then
  BUILD_DIR=build-tsan BUILD_TARGETS=daemon_threads_tests bash scripts/build.sh \
    -DPREDWATCH_SANITIZE_THREAD=ON -DPREDWATCH_BUILD_TESTS=ON "$OPT"
  # tests/tsan/tsan.supp: reports inside the uninstrumented gRPC, Abseil, OpenSSL and
  # librdkafka only. TSan exits 66 after the tests when it reported anything.
  export TSAN_OPTIONS="suppressions=$PWD/tests/tsan/tsan.supp second_deadlock_stack=1"
  echo "sanitizers: daemon_threads_tests (TSan)"
  build-tsan/tests/daemon_threads_tests --gtest_brief=1 --gtest_filter="$FILTER"
fi
