#!/usr/bin/python3
"""Cross-checks Kubernetes manifests beyond their JSON schemas (which run_check.sh validates
with kubeconform and kubernetes-validate): the kustomize manifests in deploy/k8s, or the
output of `helm template` of the chart deploy/helm/predwatch.

    check_k8s.py [K8S_DIR]
    check_k8s.py --rendered FILE_OR_DIR [--require KIND,...] [--same-as K8S_DIR]

Checks: the Service, PodDisruptionBudget, NetworkPolicy and PodMonitor select the
Deployment's pods and the ServiceMonitor the Service; the Service, NetworkPolicy, PodMonitor
and ServiceMonitor name ports that exist; the gRPC probes use the gRPC port; the pod runs
non-root with a read-only root filesystem, no privilege escalation, no capabilities and no
service-account token; the config mounted from the ConfigMap exists, is YAML with the keys
predwatchd needs, and binds the ports the container declares, names its gRPC token in a
mounted Secret that is not world-readable and holds no literal Kafka secret; every
${file:...} secret reference and the token file are keys of that Secret where the Secret is
known (a rendered Secret, or kustomization.yaml's secretGenerator); the PrometheusRule is
alerts.yml (custom resources have no schema here, so their essential fields are checked by
hand); kustomization.yaml lists every manifest.

K8S_DIR (default deploy/k8s): every kind above must be there, with kustomization.yaml.
--rendered: a multi-document YAML file (helm template > FILE) or a folder of them
(helm template --output-dir); the Deployment, Service and ConfigMap are required, each other
kind is checked when present and required when named in --require. --same-as K8S_DIR also
checks that the rendered objects agree with those manifests where the chart's defaults
should: kinds, config, pod and container security contexts, probes, rollout strategy,
mounts, Service ports, PodDisruptionBudget and NetworkPolicy rules.
"""
import argparse
import pathlib
import posixpath
import re
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
OPTIONAL_KINDS = ("PodDisruptionBudget", "PodMonitor", "ServiceMonitor", "PrometheusRule",
                  "NetworkPolicy", "Secret")
SECRET_REF = re.compile(r"^\$\{(env|file):([^}]+)\}$")
MONITORING_API = "monitoring.coreos.com/v1"


def load(paths):
    docs = []
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def rendered_files(target):
    if target.is_dir():
        return sorted(p for p in target.rglob("*") if p.suffix in (".yaml", ".yml"))
    return [target]


def config_of(docs):
    """The predwatchd config a manifest set mounts (None if it cannot be found)."""
    dep = next((d for _, d in docs if d["kind"] == "Deployment"), None)
    if not dep:
        return None
    c = dep["spec"]["template"]["spec"]["containers"][0]
    args = c.get("args", [])
    cfg_path = args[args.index("--config") + 1] if "--config" in args else None
    mount = next((m for m in c.get("volumeMounts", []) if m["mountPath"] == cfg_path), None)
    if not mount:
        return None
    for _, d in docs:
        if d["kind"] == "ConfigMap" and mount.get("subPath") in d.get("data", {}):
            return yaml.safe_load(d["data"][mount["subPath"]])
    return None


def check(docs, rendered, required, k8s_dir):
    problems = []

    def find(kind, must):
        found = [d for _, d in docs if d["kind"] == kind]
        if len(found) > 1 or (must and not found):
            problems.append(f"expected exactly one {kind}, found {len(found)}")
            return None
        return found[0] if found else None

    dep = find("Deployment", True)
    svc = find("Service", True)
    cm = find("ConfigMap", True)
    opt = {k: find(k, not rendered or k in required)
           for k in OPTIONAL_KINDS if not (k in ("ServiceMonitor", "Secret") and not rendered)}
    pdb, pm, sm = opt.get("PodDisruptionBudget"), opt.get("PodMonitor"), opt.get("ServiceMonitor")
    rule, netpol, secret = opt.get("PrometheusRule"), opt.get("NetworkPolicy"), opt.get("Secret")
    kust = None if rendered else find("Kustomization", True)
    if problems:
        return problems

    pod_spec = dep["spec"]["template"]["spec"]
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    if any(pod_labels.get(k) != v for k, v in sel.items()):
        problems.append("Deployment selector does not match its pod template labels")

    def selects(selector, what, labels=pod_labels, target="the predwatch pods"):
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{what} does not select {target}")

    selects(svc["spec"].get("selector"), "Service")
    if pdb:
        selects(pdb["spec"].get("selector", {}).get("matchLabels"), "PodDisruptionBudget")
    if pm:
        selects(pm["spec"].get("selector", {}).get("matchLabels"), "PodMonitor")
    if netpol:
        selects(netpol["spec"].get("podSelector", {}).get("matchLabels"), "NetworkPolicy")
    if sm:
        selects(sm["spec"].get("selector", {}).get("matchLabels"), "ServiceMonitor",
                svc["metadata"].get("labels", {}), "the Service")

    containers = pod_spec["containers"]
    c = containers[0]
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    for p in svc["spec"]["ports"]:
        if p["targetPort"] not in ports and p["targetPort"] not in ports.values():
            problems.append(f"Service port {p['name']} targets unknown container port {p['targetPort']}")
    if pm:
        for ep in pm["spec"].get("podMetricsEndpoints", []):
            if ep.get("port") not in ports:
                problems.append(f"PodMonitor endpoint port {ep.get('port')} is not a container port")
        if not pm["spec"].get("podMetricsEndpoints"):
            problems.append("PodMonitor has no podMetricsEndpoints")
    if sm:
        svc_ports = {p["name"] for p in svc["spec"]["ports"]}
        for ep in sm["spec"].get("endpoints", []):
            if ep.get("port") not in svc_ports:
                problems.append(f"ServiceMonitor endpoint port {ep.get('port')} is not a Service port")
        if not sm["spec"].get("endpoints"):
            problems.append("ServiceMonitor has no endpoints")
    if netpol:
        for rule_ in netpol["spec"].get("ingress", []):
            for p in rule_.get("ports", []):
                if p.get("port") not in ports and p.get("port") not in ports.values():
                    problems.append(f"NetworkPolicy admits port {p.get('port')}, not a container port")
        admitted = {p.get("port") for r in netpol["spec"].get("ingress", []) for p in r.get("ports", [])}
        for name in ("grpc", "metrics"):
            if name not in admitted and ports.get(name) not in admitted:
                problems.append(f"NetworkPolicy admits no traffic to the {name} port")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        g = c.get(probe, {}).get("grpc")
        if not g:
            problems.append(f"{probe} is not a gRPC health probe")
        elif g["port"] != ports.get("grpc"):
            problems.append(f"{probe} probes port {g['port']}, the gRPC port is {ports.get('grpc')}")

    # Security posture (docs/SECURITY.md, deploy/README.md): non-root, read-only root
    # filesystem, no privilege escalation, no capabilities, no service-account token.
    psc = pod_spec.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot is not true")
    if psc.get("runAsUser", 1) == 0:
        problems.append("pod securityContext.runAsUser is 0")
    if pod_spec.get("automountServiceAccountToken") is not False:
        problems.append("the pod mounts a service-account token (automountServiceAccountToken)")
    for ctr in containers:
        csc = ctr.get("securityContext", {})
        if csc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"container {ctr['name']}: readOnlyRootFilesystem is not true")
        if csc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"container {ctr['name']}: allowPrivilegeEscalation is not false")
        if csc.get("privileged") or csc.get("runAsUser", 1) == 0:
            problems.append(f"container {ctr['name']}: privileged or root")
        if "ALL" not in (csc.get("capabilities") or {}).get("drop", []) or (csc.get("capabilities") or {}).get("add"):
            problems.append(f"container {ctr['name']}: capabilities are not dropped (drop: [ALL])")

    # The config file the container reads.
    args = c.get("args", [])
    cfg_path = args[args.index("--config") + 1] if "--config" in args else None
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    secret_mounts = {mp: volumes[mt["name"]]["secret"] for mp, mt in mounts.items()
                     if "secret" in volumes.get(mt["name"], {})}

    def secret_file(path, what):
        """path must be a file of a mounted Secret; returns (secretName, key) or None."""
        for mp, sec in secret_mounts.items():
            prefix = mp.rstrip("/") + "/"
            if path.startswith(prefix):
                key = path[len(prefix):]
                for item in sec.get("items", []) or []:
                    if item.get("path") == key:
                        key = item["key"]
                return sec.get("secretName"), key
        problems.append(f"config: {what} {path} is not in a mounted Secret")
        return None

    secret_keys = []  # (secretName, key) the config reads
    m = mounts.get(cfg_path)
    if not m:
        problems.append(f"no volumeMount at the --config path {cfg_path}")
    else:
        vol = volumes.get(m["name"], {})
        cm_name = vol.get("configMap", {}).get("name")
        if cm_name != cm["metadata"]["name"]:
            problems.append(f"config volume uses ConfigMap {cm_name}, not {cm['metadata']['name']}")
        key = m.get("subPath")
        text = cm.get("data", {}).get(key)
        if text is None:
            problems.append(f"ConfigMap has no key {key} for the config file")
        else:
            cfg = yaml.safe_load(text)
            kafka = cfg.get("kafka", {})
            for k in ("brokers", "topics", "group_id"):
                if k not in kafka:
                    problems.append(f"config: kafka.{k} missing")
            if not cfg.get("streams", {}).get("entries"):
                problems.append("config: streams.entries missing")
            for section, port_name in (("metrics", "metrics"), ("grpc", "grpc")):
                bind = cfg.get(section, {}).get("bind", "")
                if bind.rsplit(":", 1)[-1] != str(ports.get(port_name)):
                    problems.append(f"config: {section}.bind {bind} does not use container port {port_name}")
            # A non-loopback gRPC bind needs a write token, read from a mounted Secret; no
            # literal secret in the ConfigMap (docs/SECURITY.md).
            grpc_cfg = cfg.get("grpc", {})
            if not grpc_cfg.get("bind", "").startswith(("127.", "localhost:", "[::1]:")):
                token = (grpc_cfg.get("auth") or {}).get("token_file", "")
                if not token:
                    problems.append("config: grpc.bind is not loopback and grpc.auth.token_file is unset")
                else:
                    ref = secret_file(token, "grpc.auth.token_file")
                    if ref:
                        secret_keys.append(ref)
                for mp, sec in secret_mounts.items():
                    mode = sec.get("defaultMode", 0o644)
                    if mode & 0o004:
                        problems.append(f"Secret volume at {mp} is world-readable (defaultMode {mode:o})")
            for key, value in (cfg.get("kafka", {}).get("properties") or {}).items():
                secretish = any(m in key.lower() for m in ("password", "secret", "jaas", "token"))
                if secretish and not str(value).startswith(("${env:", "${file:")):
                    problems.append(f"config: kafka.properties {key} holds a literal secret")
                ref = SECRET_REF.match(str(value))
                if ref and ref.group(1) == "file":
                    path = posixpath.join(posixpath.dirname(cfg_path), ref.group(2))
                    found = secret_file(posixpath.normpath(path), f"kafka.properties {key}")
                    if found:
                        secret_keys.append(found)
            for e in cfg.get("streams", {}).get("entries", []):
                b = e.get("baseline")
                if b and not any(b.startswith(mp.rstrip("/") + "/") for mp in mounts):
                    problems.append(f"config: baseline {b} is not under a mounted volume")
            # grpc.peers: the replicas find each other through the headless Service (its name,
            # short or <name>.<namespace>.svc[...], at its gRPC port), and the NetworkPolicy
            # lets them call each other.
            for peer in (cfg.get("grpc") or {}).get("peers", []):
                host, _, port = str(peer).rpartition(":")
                svc_name = svc["metadata"]["name"]
                if host.split(".")[0] != svc_name or (host.count(".") and ".svc" not in host):
                    problems.append(f"config: grpc.peers {peer} is not the Service {svc_name}")
                if svc["spec"].get("clusterIP") != "None":
                    problems.append("config: grpc.peers needs a headless Service (clusterIP: None)")
                if port not in {str(p["port"]) for p in svc["spec"]["ports"] if p["name"] == "grpc"}:
                    problems.append(f"config: grpc.peers {peer} is not the Service's grpc port")
                if netpol:
                    peers_in = any(
                        f.get("podSelector", {}).get("matchLabels")
                        and all(pod_labels.get(k) == v
                                for k, v in f["podSelector"]["matchLabels"].items())
                        for r in netpol["spec"].get("ingress", []) for f in r.get("from", [])
                        if any(pp.get("port") in ("grpc", ports.get("grpc"))
                               for pp in r.get("ports", [])))
                    if not peers_in:
                        problems.append("NetworkPolicy does not let the replicas call each "
                                        "other's grpc port (grpc.peers)")
            # The root filesystem is read-only: state.dir must be a writable mounted volume.
            state_dir = (cfg.get("state") or {}).get("dir")
            if state_dir:
                m = mounts.get(state_dir.rstrip("/"))
                if not m:
                    problems.append(f"config: state.dir {state_dir} is not a mounted volume")
                elif m.get("readOnly"):
                    problems.append(f"config: state.dir {state_dir} is mounted read-only")
    for mount in c.get("volumeMounts", []):
        if mount["name"] not in volumes:
            problems.append(f"volumeMount {mount['name']} has no volume")

    # The Secret's keys, where the manifests define the Secret.
    known = {}
    if secret:
        known[secret["metadata"]["name"]] = set(secret.get("data") or {}) | set(secret.get("stringData") or {})
    for gen in (kust or {}).get("secretGenerator", []) or []:
        keys = set()
        for f in gen.get("files", []) or []:
            keys.add(f.split("=", 1)[0] if "=" in f else posixpath.basename(f))
        keys |= {lit.split("=", 1)[0] for lit in gen.get("literals", []) or []}
        known[gen["name"]] = keys
    for name, key in secret_keys:
        if name in known and key not in known[name]:
            problems.append(f"Secret {name} has no key {key}, which the config reads")
    if secret and secret["metadata"]["name"] not in {s.get("secretName") for s in secret_mounts.values()}:
        problems.append(f"Secret {secret['metadata']['name']} is not mounted by the Deployment")

    # Prometheus Operator resources: essential fields, and the same rules as
    # deploy/prometheus/alerts.yml.
    for res in (pm, sm, rule):
        if res and res.get("apiVersion") != MONITORING_API:
            problems.append(f"{res['kind']} must be {MONITORING_API}")
    if rule:
        alerts = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
        if rule.get("spec") != alerts:
            problems.append("the PrometheusRule differs from alerts.yml: run deploy/k8s/make_prometheusrule.py")
    gen = subprocess.run([sys.executable, str(REPO / "deploy/k8s/make_prometheusrule.py"), "--check"],
                         capture_output=True, text=True)
    if gen.returncode != 0:
        problems.append(gen.stderr.strip())

    if kust is not None:
        listed = set(kust.get("resources", []))
        for path in sorted(k8s_dir.glob("*.yaml")):
            if path.name != "kustomization.yaml" and path.name not in listed:
                problems.append(f"kustomization.yaml does not list {path.name}")
    return problems


def same_as(docs, ref_docs):
    """Where the chart's defaults must agree with the kustomize manifests."""
    problems = []

    def one(ds, kind):
        found = [d for _, d in ds if d["kind"] == kind]
        return found[0] if len(found) == 1 else None

    kinds = {d["kind"] for _, d in docs}
    ref_kinds = {d["kind"] for _, d in ref_docs} - {"Kustomization"}
    for kind in sorted(ref_kinds - kinds):
        # The Prometheus Operator resources are off by default in the chart (they need the
        # operator's CRDs); they are checked in the render with every toggle on.
        if kind not in ("PodMonitor", "PrometheusRule"):
            problems.append(f"same-as: the rendered objects have no {kind}")
    if config_of(docs) != config_of(ref_docs):
        problems.append("same-as: the rendered predwatchd config differs from deploy/k8s/configmap.yaml")
    dep, ref_dep = one(docs, "Deployment"), one(ref_docs, "Deployment")
    if dep and ref_dep:
        spec, ref_spec = dep["spec"], ref_dep["spec"]
        pod, ref_pod = spec["template"]["spec"], ref_spec["template"]["spec"]
        c, ref_c = pod["containers"][0], ref_pod["containers"][0]
        fields = {
            "replicas": (spec.get("replicas"), ref_spec.get("replicas")),
            "strategy": (spec.get("strategy"), ref_spec.get("strategy")),
            "pod securityContext": (pod.get("securityContext"), ref_pod.get("securityContext")),
            "automountServiceAccountToken": (pod.get("automountServiceAccountToken"),
                                             ref_pod.get("automountServiceAccountToken")),
            "container securityContext": (c.get("securityContext"), ref_c.get("securityContext")),
            "args": (c.get("args"), ref_c.get("args")),
            "ports": (c.get("ports"), ref_c.get("ports")),
            "resources": (c.get("resources"), ref_c.get("resources")),
            "volumeMounts": (c.get("volumeMounts"), ref_c.get("volumeMounts")),
        }
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            fields[probe] = (c.get(probe), ref_c.get(probe))
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        for v in ref_pod.get("volumes", []):
            mine = vols.get(v["name"], {})
            if "secret" in v:
                fields[f"volume {v['name']} defaultMode"] = (mine.get("secret", {}).get("defaultMode"),
                                                             v["secret"].get("defaultMode"))
            elif "emptyDir" in v:
                fields[f"volume {v['name']}"] = (mine.get("emptyDir"), v["emptyDir"])
            elif v["name"] != "config":
                fields[f"volume {v['name']}"] = (mine, v)
        for what, (got, want) in fields.items():
            if got != want:
                problems.append(f"same-as: Deployment {what} differs from deploy/k8s: {got!r} != {want!r}")
    for kind, key in (("Service", "ports"), ("PodDisruptionBudget", "maxUnavailable")):
        mine, ref = one(docs, kind), one(ref_docs, kind)
        if mine and ref and mine["spec"].get(key) != ref["spec"].get(key):
            problems.append(f"same-as: {kind} {key} differs from deploy/k8s")
    svc, ref_svc = one(docs, "Service"), one(ref_docs, "Service")
    if svc and ref_svc and svc["spec"].get("clusterIP") != ref_svc["spec"].get("clusterIP"):
        problems.append("same-as: Service clusterIP (headless) differs from deploy/k8s")
    np_, ref_np = one(docs, "NetworkPolicy"), one(ref_docs, "NetworkPolicy")

    def without_release(x):
        # The chart's pod selectors also name the release (app.kubernetes.io/instance); the
        # plain manifests have no release.
        if isinstance(x, dict):
            return {k: without_release(v) for k, v in x.items() if k != "app.kubernetes.io/instance"}
        if isinstance(x, list):
            return [without_release(v) for v in x]
        return x

    if np_ and ref_np:
        for key in ("policyTypes", "ingress"):
            if without_release(np_["spec"].get(key)) != without_release(ref_np["spec"].get(key)):
                problems.append(f"same-as: NetworkPolicy {key} differs from deploy/k8s")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("k8s_dir", nargs="?", type=pathlib.Path, default=REPO / "deploy/k8s")
    ap.add_argument("--rendered", type=pathlib.Path)
    ap.add_argument("--require", default="")
    ap.add_argument("--same-as", type=pathlib.Path)
    a = ap.parse_args()
    required = {k for k in a.require.split(",") if k}
    unknown = required - set(OPTIONAL_KINDS)
    if unknown:
        ap.error(f"--require: not an optional kind: {', '.join(sorted(unknown))}")
    if a.rendered:
        docs = load(rendered_files(a.rendered))
        problems = check(docs, True, required, None)
        if a.same_as:
            problems += same_as(docs, load(sorted(a.same_as.glob("*.yaml"))))
        what = a.rendered
    else:
        if required or a.same_as:
            ap.error("--require and --same-as go with --rendered")
        docs = load(sorted(a.k8s_dir.glob("*.yaml")))
        problems = check(docs, False, required, a.k8s_dir)
        what = a.k8s_dir
    for p in problems:
        print(f"FAIL  {p}")
    print(f"check_k8s: {what}: {len(docs)} resources, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
