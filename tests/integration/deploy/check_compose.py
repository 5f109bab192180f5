#!/usr/bin/python3
"""Cross-checks deploy/compose/compose.yaml beyond the Compose Specification schema (which
check_deploy.sh validates with compose-spec/compose-go, Docker Compose's own loader).

    check_compose.py [COMPOSE_FILE]

Checks: every bind-mounted host path and the build context/Dockerfile exist, every named
volume is declared, every depends_on names a service, predwatchd's config is valid YAML with
the keys the deploy files rely on, its ports are the ones the stack publishes and Prometheus
scrapes, and kafka-init creates every topic the config reads or writes.
Exit status 0 when everything holds; otherwise each problem is printed.
"""
import pathlib
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]


def main():
    compose_path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "deploy/compose/compose.yaml"
    base = compose_path.parent
    doc = yaml.safe_load(compose_path.read_text())
    problems = []

    services = doc.get("services", {})
    volumes = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        build = svc.get("build")
        if isinstance(build, dict):
            ctx = (base / build.get("context", ".")).resolve()
            if not ctx.is_dir():
                problems.append(f"{name}: build context {ctx} does not exist")
            dockerfile = ctx / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                problems.append(f"{name}: Dockerfile {dockerfile} does not exist")
        for vol in svc.get("volumes", []):
            if not isinstance(vol, str):
                continue
            source = vol.split(":", 1)[0]
            if source.startswith((".", "/")):
                if not (base / source).exists():
                    problems.append(f"{name}: bind mount source {source} does not exist")
            elif source not in volumes:
                problems.append(f"{name}: volume {source} is not declared under volumes:")
        deps = svc.get("depends_on", [])
        for dep in (deps.keys() if isinstance(deps, dict) else deps):
            if dep not in services:
                problems.append(f"{name}: depends_on names unknown service {dep}")

    # predwatchd's config: the keys every deploy variant relies on, and matching ports.
    cfg_path = base / "predwatch.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    kafka = cfg.get("kafka", {})
    for key in ("brokers", "topics", "group_id"):
        if key not in kafka:
            problems.append(f"predwatch.yaml: kafka.{key} missing")
    if kafka.get("brokers") != "kafka:9092":
        problems.append("predwatch.yaml: kafka.brokers should be the compose broker kafka:9092")
    entries = cfg.get("streams", {}).get("entries", [])
    if not entries or any("key" not in e for e in entries):
        problems.append("predwatch.yaml: streams.entries[] with a key each expected")
    metrics_port = cfg.get("metrics", {}).get("bind", "").rsplit(":", 1)[-1]
    grpc_port = cfg.get("grpc", {}).get("bind", "").rsplit(":", 1)[-1]
    published = {p.split(":")[-1] for p in services.get("predwatchd", {}).get("ports", [])}
    for port, what in ((metrics_port, "metrics.bind"), (grpc_port, "grpc.bind")):
        if port not in published:
            problems.append(f"predwatch.yaml: {what} port {port} is not published by predwatchd")
    prom = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    scrape_ports = {str(sd.get("port")) for job in prom.get("scrape_configs", [])
                    for sd in job.get("dns_sd_configs", []) if "predwatchd" in sd.get("names", [])}
    if metrics_port not in scrape_ports:
        problems.append(f"prometheus.yml does not scrape predwatchd on metrics port {metrics_port}")
    topics = kafka.get("topics", [])
    init_cmd = " ".join(services.get("kafka-init", {}).get("command", []))
    for topic in topics + ([kafka["dead_letter_topic"]] if kafka.get("dead_letter_topic") else []):
        if f"--topic {topic} " not in init_cmd:
            problems.append(f"kafka-init does not create topic {topic}")

    for p in problems:
        print(f"FAIL  {p}")
    print(f"check_compose: {len(services)} services, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
