"""Spec validation time against file size: ``indicators validate`` on a generated large legends file.

Issue 15 (safe and bounded spec reading): a 60 MB spec was still validating after 300 s. This
generates a legends file of about ``--mb`` MiB (legends of 50 classes each, the shape of the
shipped legends) beside a copy of the shipped specs, and runs the product, ``indicators validate``,
on the copy in a fresh process. Reference measured in the same run: libyaml parsing the same file
(``yaml.load(..., CSafeLoader)``), the floor any YAML-reading validator pays. Printed: seconds,
peak RSS, and seconds per MiB for each size, so linear scaling shows as a constant s/MiB.

    python benchmarks/bench_spec_size.py                 # 1, 4 MiB (~1 min)
    python benchmarks/bench_spec_size.py --mb 1 5 20     # the issue's ~20 MB
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPECS = HERE.parent / "specs"


def make_legends(path: Path, mib: float) -> int:
    """Write a legends spec of about *mib* MiB; return the number of legends."""
    target = int(mib * 2**20)
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("spec_version: 1\nkind: legends\n\nlegends:\n")
        while f.tell() < target:
            f.write(f"  - id: generated_{n}\n    name: Generated legend {n}\n    source: benchmark\n    classes:\n")
            for c in range(1, 51):
                f.write(f"      - {{code: {c}, key: class_{c}, name: Class {c} of legend {n}, color: \"#{c * 5:02X}{n % 256:02X}80\"}}\n")
            n += 1
    return n


def worker(kind: str, path: str) -> None:
    import resource

    t0 = time.perf_counter()
    if kind == "libyaml":
        import yaml

        with open(Path(path) / "legends" / "generated.yaml", encoding="utf-8") as f:
            yaml.load(f, Loader=yaml.CSafeLoader)
        code = 0
    else:
        from indicators.cli import main

        code = main(["validate", path])
    print(json.dumps({"seconds": time.perf_counter() - t0, "exit": code,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


def run_case(kind: str, specs: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(specs)], capture_output=True, text=True,
                          timeout=1800, env={**os.environ, "INDICATORS_SPECS_DIR": str(specs)})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, nargs="+", default=[1, 4])
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    print(f"{'MiB':>6} {'legends':>8} {'libyaml s':>10} {'validate s':>11} {'ratio':>6} {'s/MiB':>7} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory(prefix="bench-spec-") as tmp:
        for mib in args.mb:
            specs = Path(tmp) / f"specs_{mib}"
            shutil.copytree(SPECS, specs)
            n = make_legends(specs / "legends" / "generated.yaml", mib)
            size = (specs / "legends" / "generated.yaml").stat().st_size / 2**20
            ref = run_case("libyaml", specs)
            got = run_case("validate", specs)
            if "error" in got or "error" in ref:
                print(f"{size:6.1f} {n:8d} error: {got.get('error') or ref.get('error')}")
                continue
            print(f"{size:6.1f} {n:8d} {ref['seconds']:10.2f} {got['seconds']:11.2f} {got['seconds'] / ref['seconds']:6.1f} "
                  f"{got['seconds'] / size:7.2f} {got['peak_mib']:9.0f}  (validate exit {got['exit']})")


if __name__ == "__main__":
    main()
