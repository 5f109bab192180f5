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

k8s_version=1.37.0

# validate_schemas WORK MANIFEST... -- CORE...: kubeconform (strict) on the manifests with
# the Kubernetes $k8s_version JSON schemas of the PyPI package kubernetes-validate, made
# standalone by k8s_schemas.py; kubernetes-validate (strict) on CORE, the manifests without
# custom resources. The Prometheus Operator's custom resources have no schema here:
# check_k8s.py covers them.
validate_schemas() {
  local work=$1; shift
  local all=() core=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do all+=("$1"); shift; done
  shift
  core=("$@")
  local schema_root
  schema_root=$("$TOOLS/venv/bin/python3" -c 'import kubernetes_validate, pathlib; print(pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema")')
  mkdir -p "$work/schemas"
  "$TOOLS/venv/bin/python3" "$here/k8s_schemas.py" "$schema_root" "$k8s_version" "$work/schemas" "${all[@]}"
  "$TOOLS/bin/kubeconform" -strict -summary -kubernetes-version "$k8s_version" \
    -skip PodMonitor,PrometheusRule,ServiceMonitor \
    -schema-location "$work/schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "${all[@]}"
  "$TOOLS/bin/kubernetes-validate" -k "$k8s_version" --strict "${core[@]}"
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
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    core=()
    for f in "${manifests[@]}"; do
      case $f in */podmonitor.yaml|*/prometheusrule.yaml) ;; *) core+=("$f") ;; esac
    done
    validate_schemas "$work" "${manifests[@]}" -- "${core[@]}" ;;
  proto-lint)
    # The wire contract follows protobuf's conventions: buf lint, STANDARD rules
    # (proto/buf.yaml).
    need_tool buf
    cd proto && "$TOOLS/bin/buf" lint
    echo "proto-lint: buf lint (STANDARD) clean"
    ;;
  proto-breaking)
    # A client built against the released API keeps working: buf breaking (FILE rules)
    # against proto/api_v1.json, the image of the API as released.
    need_tool buf
    cd proto && "$TOOLS/bin/buf" breaking --against api_v1.json
    echo "proto-breaking: no breaking change against proto/api_v1.json"
    ;;
  helm-chart)
    # deploy/helm/predwatch: helm lint --strict, then helm template with the default values
    # and with ci/all-on-values.yaml (every toggle on), each render validated like deploy/k8s
    # (kubeconform and kubernetes-validate, strict) and cross-checked by check_k8s.py; the
    # default render must agree with deploy/k8s (--same-as). Values the chart must refuse
    # make helm template fail.
    need_tool helm
    need_tool kubeconform
    need_tool kubernetes-validate
    chart=deploy/helm/predwatch
    all_on=$chart/ci/all-on-values.yaml
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"
    helm=("$TOOLS/bin/helm")
    "${helm[@]}" lint --strict --kube-version "$k8s_version" "$chart"
    "${helm[@]}" lint --strict --kube-version "$k8s_version" -f "$all_on" "$chart"
    for variant in default all-on; do
      values=()
      check_args=(--same-as deploy/k8s)
      if [ "$variant" = all-on ]; then
        values=(-f "$all_on")
        check_args=(--require PodDisruptionBudget,PodMonitor,ServiceMonitor,PrometheusRule,NetworkPolicy,Secret)
      fi
      out="$work/$variant.yaml"
      "${helm[@]}" template predwatch "$chart" --namespace predwatch --kube-version "$k8s_version" \
        "${values[@]}" >"$out"
      # kubernetes-validate gets the core objects only (no schema for custom resources).
      "$TOOLS/venv/bin/python3" - "$out" "$work/$variant-core.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
core = [d for d in docs if not d["apiVersion"].startswith("monitoring.coreos.com/")]
yaml.safe_dump_all(core, open(sys.argv[2], "w"), sort_keys=False)
print(f"helm-chart: {sys.argv[1].rsplit('/', 1)[-1]}: " + ", ".join(d["kind"] for d in docs))
PY
      validate_schemas "$work" "$out" -- "$work/$variant-core.yaml"
      $PY "$here/check_k8s.py" --rendered "$out" "${check_args[@]}"
    done
    # What the chart must refuse, each with the message that says why.
    refuse() {
      local why=$1; shift
      if "${helm[@]}" template predwatch "$chart" --kube-version "$k8s_version" "$@" >"$work/refused.yaml" 2>"$work/refused.err"; then
        echo "FAIL  helm template accepted $* ($why)"; exit 1
      fi
      grep -q "$why" "$work/refused.err" || { echo "FAIL  helm template $*: expected \"$why\""; cat "$work/refused.err"; exit 1; }
      echo "helm-chart: refused $* ($why)"
    }
    refuse "not a literal" --set-string 'kafka.properties.sasl\.password=hunter2'
    refuse "needs secrets.kafkaPassword" --set kafka.sasl.enabled=true
    refuse "at least 16 printable" --set-string secrets.grpcToken=short
    refuse "set the kafka" --set-string config.kafka.brokers=x:9092
    refuse "the chart binds" --set-string config.grpc.bind=127.0.0.1:50051
    refuse "schema" --set-string replicaCount=three ;;
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
