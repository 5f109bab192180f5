#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang++-14 into ./build-fuzz (or
# $FUZZ_BUILD_DIR) and, given a target name, runs it on a scratch copy of its seed corpus.
#   scripts/fuzz.sh                         # build every <target>_fuzzer
#   scripts/fuzz.sh json_event_decoder 120  # build, then fuzz that target for 120 s
# Extra libFuzzer flags: FUZZ_FLAGS="-max_len=4096 -jobs=2" scripts/fuzz.sh ...
# New corpus entries go to build-fuzz/corpus/<target> (not into the repo); crash inputs to
# build-fuzz/artifacts/<target>/. See docs/FUZZING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DPREDWATCH_BUILD_FUZZERS=ON -DPREDWATCH_BUILD_TESTS=OFF \
    >/dev/null
fi
if [ $# -eq 0 ]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target fuzzers
  exit 0
fi
target=$1
seconds=${2:-120}
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${target}_fuzzer"
mkdir -p "$BUILD_DIR/corpus/$target" "$BUILD_DIR/artifacts/$target"
# shellcheck disable=SC2086
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  "$BUILD_DIR/tests/fuzz/${target}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$BUILD_DIR/artifacts/$target/" ${FUZZ_FLAGS:-} \
  "$BUILD_DIR/corpus/$target" "tests/fuzz/corpus/$target"
