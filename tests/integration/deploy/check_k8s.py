#!/usr/bin/python3
"""Cross-checks the Kubernetes manifests in deploy/k8s beyond their JSON schemas (which
check_deploy.sh validates with kubeconform and kubernetes-validate).

    check_k8s.py [K8S_DIR]

Checks: the Service, PodDisruptionBudget and PodMonitor select the Deployment's pods; the
Service and PodMonitor name container ports that exist; the gRPC probes use the gRPC port;
the config mounted from the ConfigMap exists, is YAML with the keys predwatchd needs, and
binds the ports the container declares, names its gRPC token in a mounted Secret that is not
world-readable and holds no literal Kafka secret; the PrometheusRule is alerts.yml (custom resources
have no schema here, so their essential fields are checked by hand); kustomization.yaml
lists every manifest.
"""
import pathlib
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]


def main():
    k8s = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "deploy/k8s"
    docs = {}
    for path in sorted(k8s.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs[(doc["kind"], doc.get("metadata", {}).get("name"))] = (path.name, doc)
    problems = []

    def get(kind):
        found = [d for (k, _), (_, d) in docs.items() if k == kind]
        if len(found) != 1:
            problems.append(f"expected exactly one {kind}, found {len(found)}")
            return None
        return found[0]

    dep = get("Deployment")
    svc = get("Service")
    pdb = get("PodDisruptionBudget")
    pm = get("PodMonitor")
    cm = get("ConfigMap")
    rule = get("PrometheusRule")
    kust = get("Kustomization")
    if problems:
        for p in problems:
            print(f"FAIL  {p}")
        return 1

    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    if any(pod_labels.get(k) != v for k, v in sel.items()):
        problems.append("Deployment selector does not match its pod template labels")

    def selects(selector, what):
        if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{what} does not select the predwatch pods")

    selects(svc["spec"].get("selector"), "Service")
    selects(pdb["spec"].get("selector", {}).get("matchLabels"), "PodDisruptionBudget")
    selects(pm["spec"].get("selector", {}).get("matchLabels"), "PodMonitor")

    containers = dep["spec"]["template"]["spec"]["containers"]
    c = containers[0]
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    for p in svc["spec"]["ports"]:
        if p["targetPort"] not in ports and p["targetPort"] not in ports.values():
            problems.append(f"Service port {p['name']} targets unknown container port {p['targetPort']}")
    for ep in pm["spec"].get("podMetricsEndpoints", []):
        if ep.get("port") not in ports:
            problems.append(f"PodMonitor endpoint port {ep.get('port')} is not a container port")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        g = c.get(probe, {}).get("grpc")
        if not g:
            problems.append(f"{probe} is not a gRPC health probe")
        elif g["port"] != ports.get("grpc"):
            problems.append(f"{probe} probes port {g['port']}, the gRPC port is {ports.get('grpc')}")

    # The config file the container reads.
    args = c.get("args", [])
    cfg_path = args[args.index("--config") + 1] if "--config" in args else None
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"].get("volumes", [])}
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
                secret_mounts = [mp for mp, mt in mounts.items()
                                 if "secret" in volumes.get(mt["name"], {})]
                if not token:
                    problems.append("config: grpc.bind is not loopback and grpc.auth.token_file is unset")
                elif not any(token.startswith(mp.rstrip("/") + "/") for mp in secret_mounts):
                    problems.append(f"config: grpc.auth.token_file {token} is not in a mounted Secret")
                for mp in secret_mounts:
                    mode = volumes[mounts[mp]["name"]]["secret"].get("defaultMode", 0o644)
                    if mode & 0o004:
                        problems.append(f"Secret volume at {mp} is world-readable (defaultMode {mode:o})")
            for key, value in (cfg.get("kafka", {}).get("properties") or {}).items():
                secretish = any(m in key.lower() for m in ("password", "secret", "jaas", "token"))
                if secretish and not str(value).startswith(("${env:", "${file:")):
                    problems.append(f"config: kafka.properties {key} holds a literal secret")
            for e in cfg.get("streams", {}).get("entries", []):
                b = e.get("baseline")
                if b and not any(b.startswith(mp.rstrip("/") + "/") for mp in mounts):
                    problems.append(f"config: baseline {b} is not under a mounted volume")
    for mount in c.get("volumeMounts", []):
        if mount["name"] not in volumes:
            problems.append(f"volumeMount {mount['name']} has no volume")

    # PrometheusRule: essential fields, and the same rules as deploy/prometheus/alerts.yml.
    if rule.get("apiVersion") != "monitoring.coreos.com/v1" or pm.get("apiVersion") != "monitoring.coreos.com/v1":
        problems.append("PodMonitor/PrometheusRule must be monitoring.coreos.com/v1")
    alerts = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
    if rule.get("spec") != alerts:
        problems.append("prometheusrule.yaml differs from alerts.yml: run deploy/k8s/make_prometheusrule.py")
    gen = subprocess.run([sys.executable, str(REPO / "deploy/k8s/make_prometheusrule.py"), "--check"],
                         capture_output=True, text=True)
    if gen.returncode != 0:
        problems.append(gen.stderr.strip())

    listed = set(kust.get("resources", []))
    for path in sorted(k8s.glob("*.yaml")):
        if path.name != "kustomization.yaml" and path.name not in listed:
            problems.append(f"kustomization.yaml does not list {path.name}")

    for p in problems:
        print(f"FAIL  {p}")
    print(f"check_k8s: {len(docs)} resources, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
