#!/usr/bin/env python3
"""Benchmark `brine check` against ruff's equivalent rules on a corpus.

Usage:
    python3 scripts/bench_check.py [--brine target/release/brine]
        [--corpus bench-data/transformers-5.24.0] [--rounds 5]
        [--extra NAME=COMMAND ...] [--json]

Each tool is run once as a warm-up (not counted), then `--rounds` times,
interleaved (brine, ruff, extras, brine, ruff, extras, ...) so that drift in
machine load affects all tools alike. For every run the wall time and the
child's peak RSS (from os.wait4's rusage; ru_maxrss is KiB on Linux) are
recorded. stdout of the tools goes to /dev/null; stderr is kept so that a
failure can be reported.

`--extra NAME=COMMAND` adds another tool; COMMAND is a shell-style string
(split with shlex) in which `{corpus}` is replaced by the corpus path.

Get the corpus with `bash scripts/fetch_corpus.sh`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BRINE = "target/release/brine"
DEFAULT_CORPUS = "bench-data/transformers-5.24.0"
RUFF_SELECT = "S301,S302,S506"


def resolve_path(p: str) -> Path:
    """Resolve a path given relative to the cwd, falling back to the repo root."""
    path = Path(p)
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (REPO_ROOT / path).resolve()


def run_once(cmd: list[str]) -> tuple[float, float, int, str]:
    """Run cmd; return (wall seconds, peak RSS MiB, exit code, stderr tail)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # Drain stderr before waiting so a chatty child cannot block on the pipe.
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    # Tell Popen the child is reaped so it does not try again.
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kib = rusage.ru_maxrss
    if sys.platform == "darwin":  # bytes there
        rss_kib = rss_kib / 1024
    tail = err.decode("utf-8", "replace")[-2000:]
    return wall, rss_kib / 1024.0, proc.returncode, tail


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brine", default=DEFAULT_BRINE, help="path to the brine binary")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="directory to check")
    ap.add_argument("--rounds", type=int, default=5, help="counted rounds (default 5)")
    ap.add_argument("--ruff", default="ruff", help="ruff executable (default: ruff on PATH)")
    ap.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="extra tool; COMMAND may contain {corpus}. Repeatable.",
    )
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    args = ap.parse_args()

    if args.rounds < 1:
        ap.error("--rounds must be >= 1")

    corpus = resolve_path(args.corpus)
    if not corpus.is_dir():
        print(
            f"error: corpus {corpus} not found; run `bash scripts/fetch_corpus.sh`",
            file=sys.stderr,
        )
        return 2

    tools: list[tuple[str, list[str]]] = []

    brine = resolve_path(args.brine)
    if brine.is_file() and os.access(brine, os.X_OK):
        tools.append(
            (
                "brine",
                [str(brine), "check", "--output-format", "json", "--exit-zero", str(corpus)],
            )
        )
    else:
        print(
            f"note: brine binary {brine} not found; skipping brine "
            "(build it with `cargo build --release`)",
            file=sys.stderr,
        )

    ruff = shutil.which(args.ruff)
    if ruff:
        tools.append(
            (
                "ruff",
                [
                    ruff,
                    "check",
                    "--no-cache",
                    "--isolated",
                    "--select",
                    RUFF_SELECT,
                    "--exit-zero",
                    str(corpus),
                ],
            )
        )
    else:
        print(
            f"note: {args.ruff} not found on PATH; skipping ruff "
            "(`bash scripts/fetch_corpus.sh` installs it)",
            file=sys.stderr,
        )

    for spec in args.extra:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command:
            ap.error(f"--extra expects NAME=COMMAND, got {spec!r}")
        cmd = [part.replace("{corpus}", str(corpus)) for part in shlex.split(command)]
        tools.append((name, cmd))

    if not tools:
        print("error: nothing to benchmark", file=sys.stderr)
        return 2

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in tools}
    failed: set[str] = set()

    def do_run(name: str, cmd: list[str], label: str) -> tuple[float, float] | None:
        try:
            wall, rss, code, err = run_once(cmd)
        except OSError as e:
            print(f"error: {name} ({label}) could not start: {e}", file=sys.stderr)
            failed.add(name)
            return None
        if code != 0:
            print(
                f"error: {name} ({label}) exited {code}: {shlex.join(cmd)}\n{err}",
                file=sys.stderr,
            )
            failed.add(name)
            return None
        print(f"  {label:>7} {name:<12} {wall:8.3f} s {rss:9.1f} MiB", file=sys.stderr)
        return wall, rss

    print(f"corpus: {corpus}", file=sys.stderr)
    for name, cmd in tools:
        print(f"  {name}: {shlex.join(cmd)}", file=sys.stderr)
    for name, cmd in tools:
        do_run(name, cmd, "warm-up")
    for r in range(1, args.rounds + 1):
        for name, cmd in tools:
            if name in failed:
                continue
            s = do_run(name, cmd, f"round {r}")
            if s is not None:
                samples[name].append(s)

    results = []
    for name, cmd in tools:
        runs = samples[name]
        if not runs or name in failed:
            results.append({"tool": name, "command": cmd, "failed": True})
            continue
        walls = [w for w, _ in runs]
        rsss = [m for _, m in runs]
        results.append(
            {
                "tool": name,
                "command": cmd,
                "rounds": len(runs),
                "median_wall_s": statistics.median(walls),
                "min_wall_s": min(walls),
                "max_wall_s": max(walls),
                "median_peak_mib": statistics.median(rsss),
                "wall_s": walls,
                "peak_mib": rsss,
            }
        )

    by_name = {r["tool"]: r for r in results}
    ratio = None
    b, f = by_name.get("brine"), by_name.get("ruff")
    if b and f and not b.get("failed") and not f.get("failed"):
        ratio = {
            "wall": b["median_wall_s"] / f["median_wall_s"],
            "peak_mib": b["median_peak_mib"] / f["median_peak_mib"],
        }

    if args.json:
        json.dump(
            {
                "corpus": str(corpus),
                "rounds": args.rounds,
                "results": results,
                "ratio_brine_over_ruff": ratio,
            },
            sys.stdout,
            indent=2,
        )
        print()
    else:
        header = f"{'tool':<12} {'median s':>9} {'min s':>8} {'max s':>8} {'peak MiB':>9}"
        print(header)
        print("-" * len(header))
        for r in results:
            if r.get("failed"):
                print(f"{r['tool']:<12} {'FAILED':>9}")
                continue
            print(
                f"{r['tool']:<12} {r['median_wall_s']:9.3f} {r['min_wall_s']:8.3f} "
                f"{r['max_wall_s']:8.3f} {r['median_peak_mib']:9.1f}"
            )
        if ratio is not None:
            print(
                f"brine/ruff (medians): wall {ratio['wall']:.2f}x, "
                f"peak memory {ratio['peak_mib']:.2f}x"
            )
        else:
            print("brine/ruff ratio: n/a (need both brine and ruff results)")

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
