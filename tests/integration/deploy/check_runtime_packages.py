#!/usr/bin/python3
"""Checks the runtime stage of deploy/docker/Dockerfile without a Docker engine.

    check_runtime_packages.py [BINARY_DIR]

1. Every package the runtime stage installs is a real Debian 12 package name: this build
   host is Debian 12, and each one must be installed here (the -dev packages of
   scripts/setup.sh pull them in), so dpkg knows it.
2. If predwatchd / predwatch are built in BINARY_DIR (default build/daemon), every shared
   library they load directly (ELF NEEDED) belongs to a package of that list or of the
   bookworm-slim base (libc6, libstdc++6, libgcc-s1); the others arrive as dependencies.
   The sanitizer runtimes of a sanitizer build (libasan, libubsan, ...) are named, not
   required: the image builds without sanitizers.
   Without the binaries this part is reported as not run.
3. The demo's data reaches the image: the runtime stage copies the build stage's
   tests/data/coco_val2017 files (which must exist in the repository) into
   /usr/local/share/predwatch/coco_val2017/ next to the binaries' /usr/local/bin. With the
   binaries, that layout is rebuilt in a temporary folder and `predwatchd --demo` runs from
   there for a few seconds in a directory without tests/data (it must find its data).
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[3]
BASE_IMAGE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1"}
# Runtimes of a sanitizer build (scripts/test.sh tests the ASan + UBSan build): the image's
# build stage compiles without sanitizers, so its binaries never load these.
SANITIZER_RUNTIMES = {"libasan8", "libubsan1", "libtsan2", "liblsan0"}


def runtime_packages():
    text = (REPO / "deploy/docker/Dockerfile").read_text()
    stage = text.split("AS runtime", 1)[1]
    m = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", stage, re.S)
    return [w for w in m.group(1).replace("\\", " ").split() if not w.startswith("-")]


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "install ok installed" in r.stdout


def needed(binary):
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)


def library_paths():
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths = {}
    for m in re.finditer(r"^\s*(\S+) \((libc6,x86-64[^)]*)\) => (\S+)", out, re.M):
        paths.setdefault(m.group(1), m.group(3))
    return paths


def owner(path):
    p = pathlib.Path(path)
    candidates = {str(p), str(p.resolve())}
    for c in list(candidates):
        if c.startswith("/lib/"):
            candidates.add("/usr" + c)
        elif c.startswith("/usr/lib/"):
            candidates.add(c[4:])
    for c in candidates:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].strip()
    return None


DEMO_DATA_DIR = "/usr/local/share/predwatch/coco_val2017/"


def demo_data_files(problems):
    """The repository paths the runtime stage copies into DEMO_DATA_DIR."""
    stage = (REPO / "deploy/docker/Dockerfile").read_text().split("AS runtime", 1)[1]
    for m in re.finditer(r"^COPY --from=build ((?:\\\n|[^\n])+)", stage, re.M):
        words = m.group(1).replace("\\\n", " ").replace("\\", " ").split()
        if words and words[-1] == DEMO_DATA_DIR:
            files = [w[len("/src/"):] for w in words[:-1]]
            for f in files:
                if not (REPO / f).is_file():
                    problems.append(f"the runtime stage copies {f}, which is not in the repository")
            if not any(f.endswith("instances_val2017_boxes.json") for f in files):
                problems.append("the runtime stage copies no instances_val2017_boxes.json")
            return files
    problems.append(f"the runtime stage copies nothing into {DEMO_DATA_DIR} (the demo's data)")
    return []


def demo_runs_from_image_layout(bin_dir, files, problems):
    """predwatchd --demo from <tmp>/usr/local/bin with the data in <tmp>/usr/local/share."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "usr/local/bin").mkdir(parents=True)
        data = root / DEMO_DATA_DIR.lstrip("/")
        data.mkdir(parents=True)
        shutil.copy2(bin_dir / "predwatchd", root / "usr/local/bin/predwatchd")
        for f in files:
            shutil.copy2(REPO / f, data / pathlib.Path(f).name)
        cwd = root / "work"
        cwd.mkdir()
        r = subprocess.run([str(root / "usr/local/bin/predwatchd"), "--demo", "--no-view",
                            "--metrics-bind", "127.0.0.1:0", "--grpc-bind", "127.0.0.1:0",
                            "--web-bind", "127.0.0.1:0", "--duration", "3"],
                           cwd=cwd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            problems.append("predwatchd --demo in the image layout failed: " +
                            (r.stderr or r.stdout).strip()[-400:])
        else:
            print("demo: predwatchd --demo found its data in the image layout")


def main():
    bin_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build/daemon"
    problems = []
    pkgs = runtime_packages()
    if len(pkgs) < 5:
        problems.append(f"could not read the runtime package list from the Dockerfile: {pkgs}")
    for p in pkgs:
        if not installed(p):
            problems.append(f"{p}: not a package installed on this Debian 12 host (wrong name?)")
    print(f"runtime packages: {' '.join(pkgs)}")

    binaries = [bin_dir / n for n in ("predwatchd", "predwatch") if (bin_dir / n).is_file()]
    if not binaries:
        print(f"note: no predwatchd/predwatch in {bin_dir}; library coverage not checked")
    paths = library_paths() if binaries else {}
    allowed = set(pkgs) | BASE_IMAGE_PACKAGES
    for b in binaries:
        for soname in needed(b):
            path = paths.get(soname)
            pkg = owner(path) if path else None
            if pkg is None:
                problems.append(f"{b.name}: {soname}: no Debian package owns it")
            elif pkg.split(":")[0] in SANITIZER_RUNTIMES:
                print(f"{b.name}: {soname} <- {pkg} (sanitizer build; not in the image)")
            elif pkg.split(":")[0] not in allowed:
                problems.append(f"{b.name}: {soname} comes from {pkg}, missing in the runtime stage")
            else:
                print(f"{b.name}: {soname} <- {pkg}")

    files = demo_data_files(problems)
    if files and (bin_dir / "predwatchd").is_file():
        demo_runs_from_image_layout(bin_dir, files, problems)

    for p in problems:
        print(f"FAIL  {p}")
    print(f"check_runtime_packages: {len(pkgs)} packages, {len(binaries)} binaries, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
