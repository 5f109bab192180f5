#!/usr/bin/env bash
# Configures and builds predwatch into ./build (or $BUILD_DIR). Extra arguments go to cmake.
# $BUILD_TARGETS (space-separated) builds only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # Line tables only (-g1): perf and gdb still name file and line; the main build compiles in
  # 479 s instead of 598 s with -g (docs/BENCHMARKS.md "Build time"). An argument may override.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "$@" >/dev/null
elif [ $# -gt 0 ]; then
  cmake "$BUILD_DIR" "$@" >/dev/null
fi
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
