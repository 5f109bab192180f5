#!/usr/bin/python3
"""Turns the Kubernetes JSON schemas shipped by the PyPI package kubernetes-validate into
the standalone layout kubeconform reads from a local folder.

    k8s_schemas.py SCHEMA_ROOT VERSION OUT_DIR MANIFEST...

SCHEMA_ROOT is kubernetes_validate/kubernetes-json-schema (its "vX-local-strict" folders
hold one file per kind whose $refs point at a shared /api/_definitions.json). For each kind
in the manifests, writes OUT_DIR/vVERSION-standalone-strict/<kind>[-<group>]-<version>.json
with the definitions it needs embedded under $defs, so that kubeconform can use
    -schema-location 'OUT_DIR/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json'
Kinds without a schema there (custom resources) are listed on stderr and skipped.
"""
import json
import pathlib
import sys

import yaml

REF_PREFIX = "/api/_definitions.json#/$defs/"
LOCAL_PREFIX = "#/$defs/"


def schema_name(api_version, kind):
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return f"{kind.lower()}-{group.split('.')[0]}-{version}.json"
    return f"{kind.lower()}-{api_version}.json"


def rewrite(node, needed):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith((REF_PREFIX, LOCAL_PREFIX)):
                name = v.split("#/$defs/", 1)[1]
                needed.add(name)
                out[k] = LOCAL_PREFIX + name
            else:
                out[k] = rewrite(v, needed)
        return out
    if isinstance(node, list):
        return [rewrite(v, needed) for v in node]
    return node


def standalone(src, definitions):
    needed = set()
    schema = rewrite(json.loads(src.read_text()), needed)
    defs = {}
    pending = list(needed)
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        more = set()
        defs[name] = rewrite(definitions[name], more)
        pending.extend(more - defs.keys())
    schema.pop("$id", None)
    schema["$defs"] = defs
    return schema


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    root, version, out = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
    src_dir = root / f"v{version}-local-strict"
    definitions = json.loads((src_dir / "_definitions.json").read_text())["$defs"]
    dst_dir = out / f"v{version}-standalone-strict"
    dst_dir.mkdir(parents=True, exist_ok=True)
    for manifest in sys.argv[4:]:
        for doc in yaml.safe_load_all(pathlib.Path(manifest).read_text()):
            if not doc:
                continue
            name = schema_name(doc["apiVersion"], doc["kind"])
            src = src_dir / name
            if not src.exists():
                print(f"k8s_schemas: no schema for {doc['kind']} ({doc['apiVersion']})", file=sys.stderr)
                continue
            dst = dst_dir / name
            if not dst.exists():
                dst.write_text(json.dumps(standalone(src, definitions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
