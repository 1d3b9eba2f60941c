#!/usr/bin/env python3
"""Every figure of the performance table (issue #7) from one run, each against its target.

Usage: python3 scripts/bench_table.py [--brine target/release/brine] [--corpus bench-data/transformers-5.24.0]
                                      [--rounds 5] [--edits 200]

Runs scripts/bench_check.py (brine check and ruff alternating, medians) and then scripts/bench_lsp.py twice
(the server over stdio: index, memory, edit latency; once typing in a comment, which only moves code, and
once typing a name, which changes it), and prints one table. The server row "time to first
complete workspace diagnostics" is compared with the brine check median of the same run.
Get the corpus and ruff with `bash scripts/fetch_corpus.sh`; build with `cargo build --release`.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def run_json(command):
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brine", default="target/release/brine")
    parser.add_argument("--corpus", default="bench-data/transformers-5.24.0")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--edits", type=int, default=200)
    args = parser.parse_args()

    check = run_json([sys.executable, str(SCRIPTS / "bench_check.py"), "--brine", args.brine, "--corpus", args.corpus,
                      "--rounds", str(args.rounds), "--json"])
    def lsp_run(kind):
        return run_json([sys.executable, str(SCRIPTS / "bench_lsp.py"), "--brine", args.brine, "--corpus", args.corpus,
                         "--edits", str(args.edits), "--edit-kind", kind, "--json"])

    lsp = lsp_run("comment")
    code = lsp_run("code")["edit_to_publish_ms"]
    tools = {result["tool"]: result for result in check["results"]}
    brine, ruff = tools["brine"], tools["ruff"]
    latency = lsp["edit_to_publish_ms"]
    rows = [
        ("brine check wall time (median)", f"{brine['median_wall_s']:.2f} s",
         f"<= 0.5 x ruff = {0.5 * ruff['median_wall_s']:.2f} s", brine["median_wall_s"] <= 0.5 * ruff["median_wall_s"]),
        ("  ruff --select S301,S302,S506 (median)", f"{ruff['median_wall_s']:.2f} s", "reference", None),
        ("  brine / ruff", f"{brine['median_wall_s'] / ruff['median_wall_s']:.2f}x", "<= 0.5x", None),
        ("brine check peak memory (median)", f"{brine['median_peak_mib']:.0f} MiB", "<= 150 MiB",
         brine["median_peak_mib"] <= 150),
        ("server edit -> publishDiagnostics p50", f"{latency['p50']:.1f} ms", "<= 5 ms", latency["p50"] <= 5),
        ("server edit -> publishDiagnostics p99", f"{latency['p99']:.1f} ms", "<= 10 ms", latency["p99"] <= 10),
        ("  same, typing a name (changes code) p50", f"{code['p50']:.1f} ms", "<= 5 ms", code["p50"] <= 5),
        ("  same, typing a name (changes code) p99", f"{code['p99']:.1f} ms", "<= 10 ms", code["p99"] <= 10),
        ("server resident memory after indexing", f"{lsp['rss_after_index_mib']:.0f} MiB", "<= 150 MiB",
         lsp["rss_after_index_mib"] <= 150),
        ("server time to first complete diagnostics", f"{lsp['first_full_diagnostics_s']:.2f} s",
         f"<= check + 20% = {1.2 * brine['median_wall_s']:.2f} s",
         lsp["first_full_diagnostics_s"] <= 1.2 * brine["median_wall_s"]),
    ]
    print(f"corpus: {args.corpus}; {brine['rounds']} rounds of check, {lsp['edits']} edits of {lsp['files']}"
          " (typing `#` at the end of a line, which only moves code, unless said otherwise)")
    width = max(len(row[0]) for row in rows)
    for name, measured, target, met in rows:
        verdict = "" if met is None else ("met" if met else "NOT met")
        print(f"{name:<{width}}  {measured:>10}  {target:<28} {verdict}")


if __name__ == "__main__":
    sys.exit(main())
