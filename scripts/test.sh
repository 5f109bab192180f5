#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, and runs every
# test (unit, integration against a real Kafka broker and a real Prometheus server) under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh -DPREDWATCH_BUILD_TESTS=ON
(
cd "${BUILD_DIR:-build}"
# No retries: a test that fails, fails the run (a flaky test is fixed, not repeated).
ctest --output-on-failure -j2 --timeout 900 "$@"
)
# Sanitizers: the core and config unit tests again, built with AddressSanitizer + UBSan
# (PREDWATCH_SANITIZE); any report fails the run. PREDWATCH_SKIP_SANITIZERS=1 skips them.
if [ "${PREDWATCH_SKIP_SANITIZERS:-0}" != 1 ]; then
  BUILD_DIR=build-asan BUILD_TARGETS="core_tests config_tests" bash scripts/build.sh \
    -DPREDWATCH_SANITIZE=ON -DPREDWATCH_BUILD_TESTS=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  for t in core_tests config_tests; do
    echo "sanitizers: $t (ASan + UBSan)"
    build-asan/tests/$t --gtest_brief=1
  done
fi
