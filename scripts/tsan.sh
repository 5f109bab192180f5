#!/usr/bin/env bash
# The ThreadSanitizer run of scripts/test.sh (docs/SANITIZERS.md): builds daemon_threads_tests
# (tests/CMakeLists.txt: the engine, gRPC API, web view, metrics exporter, Kafka source on
# librdkafka's mock cluster, alert log and terminal view tests) with -fsanitize=thread into
# build-tsan and runs it; any report fails. ASan + UBSan cover the whole suite in
# scripts/test.sh itself (build-asan); TSan and ASan cannot share a build.
set -euo pipefail
cd "$(dirname "$0")/.."

# A sizing test (100 streams of 80 classes) with no threads of its own: 90 s under TSan.
FILTER='-MetricsExporter.DefaultSettingsFitAHundredStreamsOfEightyClasses'

BUILD_DIR=build-tsan BUILD_TARGETS=daemon_threads_tests bash scripts/build.sh \
  -DPREDWATCH_SANITIZE_THREAD=ON -DPREDWATCH_BUILD_TESTS=ON \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
# tests/tsan/tsan.supp: reports inside the uninstrumented gRPC, Abseil, OpenSSL and
# librdkafka only. TSan exits 66 after the tests when it reported anything.
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan/tsan.supp second_deadlock_stack=1"
echo "tsan: daemon_threads_tests (ThreadSanitizer)"
build-tsan/tests/daemon_threads_tests --gtest_brief=1 --gtest_filter="$FILTER"
