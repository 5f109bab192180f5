#!/usr/bin/env bash
# The sanitizer runs of scripts/test.sh (docs/SANITIZERS.md); any sanitizer report fails.
#   bash scripts/sanitizers.sh        what CI runs: asan without daemon_threads_tests, then tsan
#   bash scripts/sanitizers.sh asan   AddressSanitizer + UBSan (build-asan): core_tests,
#                                     config_tests, daemon_threads_tests
#   bash scripts/sanitizers.sh tsan   ThreadSanitizer (build-tsan): daemon_threads_tests
#   bash scripts/sanitizers.sh all    both, in full
# Each builds only those test binaries, in its own build directory. daemon_threads_tests
# (tests/CMakeLists.txt, sanitizer builds only) holds the engine, gRPC API, web view,
# metrics exporter, Kafka source (librdkafka's mock cluster), alert log and terminal view
# tests of daemon_tests.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-ci}
case "$what" in ci | all | asan | tsan) ;; *)
  echo "usage: $0 [asan|tsan|all]" >&2
  exit 2
  ;;
esac

# A sizing test (100 streams of 80 classes) with no threads of its own: 90 s under TSan.
FILTER='-MetricsExporter.DefaultSettingsFitAHundredStreamsOfEightyClasses'

# CI leaves out daemon_threads_tests under ASan: with the TSan build it would take CI past
# its 45-minute budget (docs/SANITIZERS.md).
asan_daemon=0
[ "$what" = ci ] || asan_daemon=1

if [ "$what" != tsan ]; then
  targets="core_tests config_tests"
  [ "$asan_daemon" = 1 ] && targets="$targets daemon_threads_tests"
  BUILD_DIR=build-asan BUILD_TARGETS="$targets" \
    bash scripts/build.sh -DPREDWATCH_SANITIZE=ON -DPREDWATCH_BUILD_TESTS=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  for t in core_tests config_tests; do
    echo "sanitizers: $t (ASan + UBSan)"
    build-asan/tests/$t --gtest_brief=1
  done
  if [ "$asan_daemon" = 1 ]; then
    echo "sanitizers: daemon_threads_tests (ASan + UBSan)"
    build-asan/tests/daemon_threads_tests --gtest_brief=1 --gtest_filter="$FILTER"
  fi
fi

if [ "$what" != asan ]; then
  BUILD_DIR=build-tsan BUILD_TARGETS=daemon_threads_tests bash scripts/build.sh \
    -DPREDWATCH_SANITIZE_THREAD=ON -DPREDWATCH_BUILD_TESTS=ON
  # tests/tsan/tsan.supp: reports inside the uninstrumented gRPC, Abseil, OpenSSL and
  # librdkafka only. TSan exits 66 after the tests when it reported anything.
  export TSAN_OPTIONS="suppressions=$PWD/tests/tsan/tsan.supp second_deadlock_stack=1"
  echo "sanitizers: daemon_threads_tests (TSan)"
  build-tsan/tests/daemon_threads_tests --gtest_brief=1 --gtest_filter="$FILTER"
fi
