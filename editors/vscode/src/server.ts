// The parts of the extension that do not need VS Code: finding the server binary, turning the
// `brine.*` settings into what `brine server` reads, and the texts shown to the user. Kept free of
// the `vscode` module so that `npm test` runs them under plain Node.

import * as fs from "fs";
import * as path from "path";

/** The `brine.*` settings as VS Code returns them (anything may be malformed in settings.json). */
export interface RawSettings {
  path?: unknown;
  select?: unknown;
  ignore?: unknown;
  threatModel?: unknown;
}

/** The settings `brine server` reads (`initializationOptions` and `workspace/didChangeConfiguration`). */
export interface ServerSettings {
  /** Replaces the configuration's `select`; `null` keeps the project's. */
  select: string[] | null;
  /** Added to the configuration's `ignore`. */
  ignore: string[];
  /** `null` keeps the project's `threat-model`. */
  threatModel: "remote" | "local" | null;
}

function codes(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return items
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function serverSettings(raw: RawSettings): ServerSettings {
  const select = codes(raw.select);
  const model = raw.threatModel;
  return {
    select: select.length > 0 ? select : null,
    ignore: codes(raw.ignore),
    threatModel: model === "remote" || model === "local" ? model : null,
  };
}

/** Where the server binary comes from, for messages. */
export type ServerSource = "setting" | "bundled" | "path";

export interface ResolvedServer {
  command: string;
  source: ServerSource;
}

export interface ResolveError {
  /** What was looked for, for the message. */
  tried: string;
  source: ServerSource;
}

export interface ResolveEnvironment {
  platform: NodeJS.Platform;
  /** `PATH` (and `PATHEXT` on Windows) of the extension host. */
  env: NodeJS.ProcessEnv;
  /** The first workspace folder, for a relative `brine.path`. */
  workspaceFolder?: string;
  isExecutable?: (file: string) => boolean;
}

function defaultIsExecutable(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (process.platform !== "win32") {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

function executableName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "brine.exe" : "brine";
}

/** The binary shipped inside a platform-specific package of the extension (`bin/brine`). */
export function bundledServer(extensionPath: string, platform: NodeJS.Platform): string {
  return path.join(extensionPath, "bin", executableName(platform));
}

/** Searches `PATH` for `name` like a shell would. */
export function searchPath(name: string, environment: ResolveEnvironment): string | undefined {
  const isExecutable = environment.isExecutable ?? defaultIsExecutable;
  const windows = environment.platform === "win32";
  const pathVariable = windows
    ? (environment.env.Path ?? environment.env.PATH ?? "")
    : (environment.env.PATH ?? "");
  const separator = windows ? ";" : ":";
  const extensions = windows
    ? ["", ...(environment.env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";").filter((e) => e)]
    : [""];
  for (const dir of pathVariable.split(separator)) {
    if (!dir) {
      continue;
    }
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * The server binary: `brine.path` when set (a bare name is searched on `PATH`, a relative path is
 * taken from the first workspace folder), else the bundled binary if the extension has one, else
 * `brine` on `PATH`.
 */
export function resolveServer(
  configured: unknown,
  extensionPath: string,
  environment: ResolveEnvironment,
): ResolvedServer | ResolveError {
  const isExecutable = environment.isExecutable ?? defaultIsExecutable;
  const setting = typeof configured === "string" ? configured.trim() : "";
  if (setting) {
    const expanded = setting.startsWith("~/") && environment.env.HOME
      ? path.join(environment.env.HOME, setting.slice(2))
      : setting;
    const isBareName = !expanded.includes("/") && !expanded.includes("\\");
    if (isBareName) {
      const found = searchPath(expanded, environment);
      return found ? { command: found, source: "setting" } : { tried: setting, source: "setting" };
    }
    const absolute = path.isAbsolute(expanded)
      ? expanded
      : path.resolve(environment.workspaceFolder ?? process.cwd(), expanded);
    return isExecutable(absolute)
      ? { command: absolute, source: "setting" }
      : { tried: absolute, source: "setting" };
  }
  const bundled = bundledServer(extensionPath, environment.platform);
  if (isExecutable(bundled)) {
    return { command: bundled, source: "bundled" };
  }
  const name = executableName(environment.platform);
  const found = searchPath(name, environment);
  return found ? { command: found, source: "path" } : { tried: name, source: "path" };
}

export function isResolveError(value: ResolvedServer | ResolveError): value is ResolveError {
  return (value as ResolveError).tried !== undefined;
}

/** The error shown when no binary was found: what was tried and which setting to change. */
export function missingServerMessage(error: ResolveError): string {
  if (error.source === "setting") {
    return `brine: cannot start the language server: "${error.tried}" (from the setting brine.path) was not found or is not executable. Change brine.path, or clear it to run brine from PATH.`;
  }
  return 'brine: cannot start the language server: no "brine" executable on PATH. Install brine (cargo install --path . in a checkout of brine) or set brine.path to the binary.';
}

/** The status bar text for a `$/progress` report. */
export function progressText(message: string | undefined, percentage: number | undefined): string {
  const detail = message ?? (percentage !== undefined ? `Indexing ${percentage}%` : "Indexing");
  return `$(sync~spin) brine: ${detail}`;
}
