#!/usr/bin/env python3
"""Latency benchmark of `brine server` over stdio, as an editor drives it.

Usage: python3 scripts/bench_lsp.py [--brine target/release/brine] [--corpus bench-data/transformers-5.24.0]
                                    [--file transformers/modeling_utils.py] [--edits 200]
                                    [--edit-kind comment|code] [--interval-ms 0] [--json]

1. Starts the server on the corpus as the only workspace folder and measures the time from
   `initialized` to the end of the indexing progress and to the last `publishDiagnostics` of the
   initial index (time to first complete workspace diagnostics), and the server's resident memory then.
2. Opens FILE and applies EDITS single-character edits (typing then deleting a character inside a
   function body, alternating), each waiting for the `publishDiagnostics` of FILE at the edit's version;
   prints p50/p90/p99 of edit-to-publish latency. `--edit-kind comment` (the default) types `#` at the
   end of the body's first line, which moves code without changing it; `--edit-kind code` types `x` at
   the end of the first body line ending in a name, which changes what the code means (a new name).
   Edits follow each other at once unless `--interval-ms` sets a pause (as someone typing): after a
   change of code the server checks the other files once the user pauses (250 ms), so edits at
   once never wait for that, and edits 300 ms apart land in it.

Set BENCH_SERVER_STDERR=1 to keep the server's stderr in /tmp/server.err (with BRINE_TIMINGS=1 it
prints each run's phases and the resident memory after each).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import queue
import re


class Client:
    def __init__(self, command, cwd):
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open("/tmp/server.err", "w") if os.environ.get("BENCH_SERVER_STDERR") else subprocess.DEVNULL)
        self.messages = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        stream = self.process.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                key, value = line.decode().split(":", 1)
                headers[key.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put((time.perf_counter(), json.loads(body)))

    def send(self, message):
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, predicate, timeout):
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("no matching message")
            at, message = self.messages.get(timeout=remaining)
            # Answer server-to-client requests (progress tokens, registrations, configuration).
            if "id" in message and "method" in message:
                result = [{}] if message["method"] == "workspace/configuration" else None
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            if predicate(message):
                return at, message


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brine", default="target/release/brine")
    parser.add_argument("--corpus", default="bench-data/transformers-5.24.0")
    parser.add_argument("--file", default="transformers/modeling_utils.py")
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--edit-kind", choices=["comment", "code"], default="comment")
    parser.add_argument("--interval-ms", type=float, default=0,
                        help="time between an edit's publishDiagnostics and the next edit (0: at once)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpus = os.path.abspath(args.corpus)
    root_uri = "file://" + corpus
    client = Client([os.path.abspath(args.brine), "server", "--stdio"], corpus)
    capabilities = {"window": {"workDoneProgress": True}, "general": {"positionEncodings": ["utf-8", "utf-16"]}}
    client.request("initialize", {"processId": os.getpid(), "rootUri": root_uri, "capabilities": capabilities,
                                  "workspaceFolders": [{"uri": root_uri, "name": "corpus"}]})
    client.wait(lambda m: m.get("id") == 1, 60)
    started = time.perf_counter()
    client.notify("initialized", {})
    end_at, _ = client.wait(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "end", 600)
    # The index publishes after progress ends; take the last publication within a quiet second.
    last_publish = end_at
    try:
        while True:
            at, _ = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics", 1.0)
            last_publish = at
    except (TimeoutError, queue.Empty):
        pass
    index_seconds = end_at - started
    full_diagnostics_seconds = last_publish - started
    memory = rss_mib(client.process.pid)

    path = os.path.join(corpus, args.file)
    uri = "file://" + path
    text = open(path, encoding="utf-8").read()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri, 120)
    # Edit inside the body of the first function: a comment character is valid at the end of a line,
    # and so is a letter after a name.
    lines = text.split("\n")
    line = next(i for i, l in enumerate(lines) if l.startswith("def ")) + 1
    typed = "#"
    if args.edit_kind == "code":
        line = next(i for i in range(line, len(lines)) if re.search(r"[A-Za-z0-9_]$", lines[i]))
        typed = "x"
    column = len(lines[line].encode("utf-8"))
    latencies = []
    for edit in range(args.edits):
        if args.interval_ms:
            time.sleep(args.interval_ms / 1000)
        version = edit + 2
        if edit % 2 == 0:
            change = {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}}, "text": typed}
        else:
            change = {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column + 1}}, "text": ""}
        sent = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        at, _ = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                            and m["params"].get("version") == version, 120)
        latencies.append((at - sent) * 1000)
    client.request("shutdown", None)
    client.notify("exit", None)
    result = {
        "files": args.file, "index_s": round(index_seconds, 3), "first_full_diagnostics_s": round(full_diagnostics_seconds, 3),
        "rss_after_index_mib": round(memory, 1), "edits": len(latencies),
        "edit_to_publish_ms": {"p50": round(percentile(latencies, 50), 2), "p90": round(percentile(latencies, 90), 2),
                               "p99": round(percentile(latencies, 99), 2), "mean": round(statistics.mean(latencies), 2)},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"time to index:                  {result['index_s']:.2f} s")
        print(f"time to first full diagnostics: {result['first_full_diagnostics_s']:.2f} s")
        print(f"resident memory after indexing: {result['rss_after_index_mib']:.1f} MiB")
        l = result["edit_to_publish_ms"]
        print(f"edit ({args.edit_kind}) -> publishDiagnostics on {args.file} ({len(latencies)} edits): p50 {l['p50']} ms, p90 {l['p90']} ms, p99 {l['p99']} ms")


if __name__ == "__main__":
    sys.exit(main())
