#!/usr/bin/env bash
# Installs every Debian 12 package predwatch needs to build, test and run the demo.
# Idempotent: packages already present are skipped; apt-get update runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  # libraries
  librdkafka-dev prometheus-cpp-dev libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler libyaml-cpp-dev libsimdjson-dev libspdlog-dev
  libfmt-dev libcli11-dev libboost-dev libabsl-dev libpugixml-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-grpcio python3-grpc-tools
  python3-numpy python3-scipy python3-yaml
  # TLS tests: certificates made at test time (tests/daemon/api/api_auth_test.cc)
  openssl
  # fuzzing (tests/fuzz, -DPREDWATCH_BUILD_FUZZERS=ON): clang with libFuzzer and sanitizers
  clang-14 libclang-rt-14-dev
  # integration tests: real Kafka broker (jars via Maven), real Prometheus and Alertmanager
  # (amtool: deploy/alertmanager), kcat
  default-jre-headless maven prometheus prometheus-alertmanager kcat curl
  # the example producer (deploy/producer) and its test against the real broker
  python3-confluent-kafka
  # deploy validation: a venv for the PyPI validators (tests/integration/deploy); the
  # Python client package installed with pip into a venv (proto/python)
  python3-venv python3-pip python3-setuptools
  # the web view in a real browser (tests/integration/web, ctest -L browser): headless
  # Chromium, its WebDriver, and Selenium to drive it
  chromium chromium-driver python3-selenium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
