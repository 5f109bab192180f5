#!/usr/bin/env bash
# One validation of the deploy files, by name (each is a ctest test, see CMakeLists.txt):
#   run_check.sh NAME [ARG]   (docker-runtime-packages: ARG = folder of the built binaries)
# Exit 0 pass, 1 fail, 77 skipped (the tool is not available on this machine; the reason
# is printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
PY=/usr/bin/python3
TOOLS=${PREDWATCH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/predwatch/deploy-tools}
cd "$repo"

need_tool() {
  if [ ! -x "$TOOLS/bin/$1" ]; then
    echo "SKIP: $1 not installed in $TOOLS (tests/integration/deploy/install_tools.sh)"; exit 77
  fi
}

case ${1:-} in
  promtool-check-rules)
    promtool check rules deploy/prometheus/alerts.yml ;;
  promtool-test-rules)
    promtool test rules deploy/prometheus/alerts_test.yml ;;
  promtool-check-config)
    promtool check config deploy/prometheus/prometheus.yml ;;
  alertmanager)
    # amtool and the alertmanager binary come from Debian's prometheus-alertmanager.
    $PY "$here/check_alertmanager.py" ;;
  generated-files)
    $PY deploy/grafana/make_dashboard.py --check
    $PY deploy/k8s/make_prometheusrule.py --check ;;
  dashboard)
    $PY "$here/check_dashboard.py" ;;
  promql)
    bash "$here/check_promql.sh" ;;
  k8s-schemas)
    need_tool kubeconform
    need_tool kubernetes-validate
    manifests=()
    for f in deploy/k8s/*.yaml; do
      case $f in */kustomization.yaml) ;; *) manifests+=("$f") ;; esac
    done
    k8s_version=1.37.0
    schema_root=$("$TOOLS/venv/bin/python3" -c 'import kubernetes_validate, pathlib; print(pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema")')
    schemas=$(mktemp -d)
    trap 'rm -rf "$schemas"' EXIT
    "$TOOLS/venv/bin/python3" "$here/k8s_schemas.py" "$schema_root" "$k8s_version" "$schemas" "${manifests[@]}"
    # Custom resources (Prometheus Operator) have no schema here: check_k8s.py covers them.
    "$TOOLS/bin/kubeconform" -strict -summary -kubernetes-version "$k8s_version" \
      -skip PodMonitor,PrometheusRule \
      -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      "${manifests[@]}"
    core=()
    for f in "${manifests[@]}"; do
      case $f in */podmonitor.yaml|*/prometheusrule.yaml) ;; *) core+=("$f") ;; esac
    done
    "$TOOLS/bin/kubernetes-validate" -k "$k8s_version" --strict "${core[@]}" ;;
  k8s-consistency)
    $PY "$here/check_k8s.py" ;;
  compose-spec)
    need_tool compose-spec
    # Docker Compose's own loader (compose-go): schema validation, interpolation and
    # normalisation. Run from the compose folder so relative paths resolve.
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    (cd deploy/compose && env -u COMPOSE_FILE -u COMPOSE_PROJECT_NAME "$TOOLS/bin/compose-spec" compose.yaml >"$out")
    echo "compose-spec: deploy/compose/compose.yaml is valid ($(grep -c '^    [a-z-]*:$' "$out" || true) top-level entries normalised)" ;;
  compose-consistency)
    $PY "$here/check_compose.py" ;;
  hadolint)
    need_tool hadolint
    "$TOOLS/bin/hadolint" --failure-threshold info deploy/docker/Dockerfile
    echo "hadolint: deploy/docker/Dockerfile clean" ;;
  docker-runtime-packages)
    $PY "$here/check_runtime_packages.py" "${2:-build/daemon}" ;;
  systemd)
    if ! command -v systemd-analyze >/dev/null; then echo "SKIP: systemd-analyze not installed"; exit 77; fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # verify needs the ExecStart binary to exist: point the unit at a stand-in executable.
    printf '#!/bin/sh\n' >"$tmp/predwatchd"
    chmod +x "$tmp/predwatchd"
    sed "s#/usr/local/bin/predwatchd#$tmp/predwatchd#g" deploy/systemd/predwatchd.service >"$tmp/predwatchd.service"
    systemd-analyze verify "$tmp/predwatchd.service" 2>"$tmp/verify.log" || { cat "$tmp/verify.log"; exit 1; }
    # verify only warns about unknown keys and bad values: any message is a failure.
    if [ -s "$tmp/verify.log" ]; then cat "$tmp/verify.log"; exit 1; fi
    # Hardening: systemd's own exposure level (0 = locked down, 10 = unprotected; the
    # threshold is in tenths): fail above 2.0. The unit scores 1.4 with systemd 252.
    systemd-analyze security --offline=yes --threshold=20 "$tmp/predwatchd.service" >"$tmp/security.log" 2>&1 \
      || { cat "$tmp/security.log"; exit 1; }
    tail -1 "$tmp/security.log" ;;
  *)
    echo "usage: $0 CHECK" >&2; exit 2 ;;
esac
