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
# Sanitizers (scripts/sanitizers.sh, docs/SANITIZERS.md): the core and config unit tests and
# the daemon's threaded parts (engine, gRPC API, web view, metrics, Kafka source) built with
# AddressSanitizer + UBSan (build-asan), the threaded parts with ThreadSanitizer (build-tsan);
# any report fails the run. PREDWATCH_SKIP_SANITIZERS=1 skips them.
if [ "${PREDWATCH_SKIP_SANITIZERS:-0}" != 1 ]; then
  bash scripts/sanitizers.sh
fi
