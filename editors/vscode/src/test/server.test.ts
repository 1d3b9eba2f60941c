// Unit tests of the VS Code-independent parts (`npm test`, after `npm run compile`).

import { strict as assert } from "assert";
import * as path from "path";
import { test } from "node:test";

import {
  isResolveError,
  missingServerMessage,
  progressText,
  resolveServer,
  serverSettings,
} from "../server";

const ext = path.join(path.sep, "ext");
const bundled = path.join(ext, "bin", "brine");

function environment(executables: string[], extra: Partial<{ workspaceFolder: string; PATH: string }> = {}) {
  return {
    platform: "linux" as NodeJS.Platform,
    env: { PATH: extra.PATH ?? "/usr/local/bin:/usr/bin", HOME: "/home/me" },
    workspaceFolder: extra.workspaceFolder,
    isExecutable: (file: string) => executables.includes(file),
  };
}

test("an empty brine.path prefers the bundled binary", () => {
  const resolved = resolveServer("", ext, environment([bundled, "/usr/bin/brine"]));
  assert.deepEqual(resolved, { command: bundled, source: "bundled" });
});

test("without a bundled binary, brine is searched on PATH", () => {
  const resolved = resolveServer(undefined, ext, environment(["/usr/bin/brine"]));
  assert.deepEqual(resolved, { command: "/usr/bin/brine", source: "path" });
});

test("brine.path wins, and relative paths start at the workspace folder", () => {
  assert.deepEqual(resolveServer("/opt/brine", ext, environment(["/opt/brine", bundled])), {
    command: "/opt/brine",
    source: "setting",
  });
  assert.deepEqual(
    resolveServer("target/release/brine", ext, environment(["/ws/target/release/brine"], { workspaceFolder: "/ws" })),
    { command: "/ws/target/release/brine", source: "setting" },
  );
  assert.deepEqual(resolveServer("~/bin/brine", ext, environment(["/home/me/bin/brine"])), {
    command: "/home/me/bin/brine",
    source: "setting",
  });
  assert.deepEqual(resolveServer("brine-dev", ext, environment(["/usr/bin/brine-dev"])), {
    command: "/usr/bin/brine-dev",
    source: "setting",
  });
});

test("a missing binary names what was tried and the setting to change", () => {
  const missing = resolveServer("", ext, environment([]));
  assert.ok(isResolveError(missing));
  assert.match(missingServerMessage(missing), /no "brine" executable on PATH.*set brine\.path/);
  const wrong = resolveServer("/nope/brine", ext, environment([]));
  assert.ok(isResolveError(wrong));
  assert.match(missingServerMessage(wrong), /"\/nope\/brine" \(from the setting brine\.path\).*Change brine\.path/);
});

test("settings are translated to what brine server reads", () => {
  assert.deepEqual(serverSettings({}), { select: null, ignore: [], threatModel: null });
  assert.deepEqual(
    serverSettings({ select: ["BRN1", " BRN201 "], ignore: "BRN104, BRN105", threatModel: "local" }),
    { select: ["BRN1", "BRN201"], ignore: ["BRN104", "BRN105"], threatModel: "local" },
  );
  assert.deepEqual(serverSettings({ select: [], ignore: [3, "BRN2"], threatModel: "project" }), {
    select: null,
    ignore: ["BRN2"],
    threatModel: null,
  });
});

test("progress text", () => {
  assert.equal(progressText("Indexing 3/10 files", 30), "$(sync~spin) brine: Indexing 3/10 files");
  assert.equal(progressText(undefined, 50), "$(sync~spin) brine: Indexing 50%");
});
