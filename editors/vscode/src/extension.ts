// The brine extension: starts `brine server --stdio` for Python files, Jupyter notebooks and workspace
// folders, passes the `brine.*` settings to it, shows indexing progress in the status bar, and offers
// "brine: Restart Server" and "brine: Show Logs".

import * as vscode from "vscode";
import {
  ClientCapabilities,
  DidChangeConfigurationNotification,
  FeatureState,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressBegin,
  WorkDoneProgressCreateRequest,
  WorkDoneProgressReport,
} from "vscode-languageclient/node";

import {
  isResolveError,
  missingServerMessage,
  progressText,
  RawSettings,
  resolveServer,
  serverSettings,
  ServerSettings,
} from "./server";

const OPEN_SETTINGS = "Open Settings";
const SHOW_LOGS = "Show Logs";

let extension: BrineExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new BrineExtension(context);
  context.subscriptions.push(extension);
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}

function readSettings(): RawSettings {
  const config = vscode.workspace.getConfiguration("brine");
  return {
    path: config.get("path"),
    select: config.get("select"),
    ignore: config.get("ignore"),
    threatModel: config.get("threatModel"),
  };
}

class BrineExtension implements vscode.Disposable {
  private readonly output: vscode.OutputChannel;
  private readonly status: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  /** Serializes start, stop and restart. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("brine");
    this.status = vscode.window.createStatusBarItem("brine.status", vscode.StatusBarAlignment.Left, 10);
    this.status.name = "brine";
    this.status.command = "brine.showLogs";
    this.disposables.push(
      this.output,
      this.status,
      vscode.commands.registerCommand("brine.restartServer", () => this.restart()),
      vscode.commands.registerCommand("brine.showLogs", () => this.output.show(true)),
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.restart()),
    );
  }

  dispose(): void {
    void this.stop();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }

  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      this.output.appendLine("brine: restarting the language server");
      await this.stopNow();
      await this.startNow();
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async startNow(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const resolved = resolveServer(readSettings().path, this.context.extensionPath, {
      platform: process.platform,
      env: process.env,
      workspaceFolder: folder?.scheme === "file" ? folder.fsPath : undefined,
    });
    if (isResolveError(resolved)) {
      const message = missingServerMessage(resolved);
      this.output.appendLine(message);
      this.showError("brine: server not found", message);
      void vscode.window.showErrorMessage(message, OPEN_SETTINGS, SHOW_LOGS).then((choice) => {
        if (choice === OPEN_SETTINGS) {
          void vscode.commands.executeCommand("workbench.action.openSettings", "brine.path");
        } else if (choice === SHOW_LOGS) {
          this.output.show(true);
        }
      });
      return;
    }
    this.output.appendLine(`brine: starting ${resolved.command} server --stdio (from ${describe(resolved.source)})`);
    const serverOptions: ServerOptions = {
      command: resolved.command,
      args: ["server", "--stdio"],
      options: { cwd: folder?.scheme === "file" ? folder.fsPath : undefined },
    };
    const clientOptions: LanguageClientOptions = {
      // Python files, and the Python cells of Jupyter notebooks (`vscode-notebook-cell:` documents).
      // The cells are synchronized as notebook documents (the server's `notebookDocumentSync`); the
      // selector is what makes the client ask for code actions and hovers in them.
      documentSelector: [
        { scheme: "file", language: "python" },
        { notebook: "jupyter-notebook", language: "python" },
      ],
      initializationOptions: serverSettings(readSettings()),
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        workspace: {
          // The server may ask for the `brine` section: answer with what it understands.
          configuration: async (params, token, next) => {
            const values = await next(params, token);
            if (!Array.isArray(values)) {
              return values;
            }
            return values.map((value, index) =>
              params.items[index]?.section === "brine" ? serverSettings((value ?? {}) as RawSettings) : value,
            );
          },
        },
      },
    };
    // The id `brine` makes the client follow the `brine.trace.server` setting.
    const client = new LanguageClient("brine", "brine", serverOptions, clientOptions);
    client.registerFeature(new StatusBarProgress(client, this.status));
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && this.client === client) {
        this.showError("brine: server stopped", "The brine language server stopped. Click to see the logs; run \"brine: Restart Server\" to start it again.");
      } else if (event.newState === State.Running) {
        this.status.hide();
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      const message = `brine: the language server ${resolved.command} failed to start: ${error instanceof Error ? error.message : String(error)}`;
      this.output.appendLine(message);
      this.showError("brine: server failed", message);
      void vscode.window.showErrorMessage(message, SHOW_LOGS, OPEN_SETTINGS).then((choice) => {
        if (choice === SHOW_LOGS) {
          this.output.show(true);
        } else if (choice === OPEN_SETTINGS) {
          void vscode.commands.executeCommand("workbench.action.openSettings", "brine.path");
        }
      });
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.status.hide();
    if (client) {
      try {
        await client.dispose(2000);
      } catch (error) {
        this.output.appendLine(`brine: stopping the server: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private showError(text: string, tooltip: string): void {
    this.status.text = `$(error) ${text}`;
    this.status.tooltip = tooltip;
    this.status.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
    this.status.show();
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (event.affectsConfiguration("brine.path")) {
      void this.restart();
      return;
    }
    if (
      event.affectsConfiguration("brine.select") ||
      event.affectsConfiguration("brine.ignore") ||
      event.affectsConfiguration("brine.threatModel")
    ) {
      const client = this.client;
      if (client?.isRunning()) {
        const settings: { brine: ServerSettings } = { brine: serverSettings(readSettings()) };
        void client.sendNotification(DidChangeConfigurationNotification.type, { settings });
      }
    }
  }
}

function describe(source: "setting" | "bundled" | "path"): string {
  switch (source) {
    case "setting":
      return "the brine.path setting";
    case "bundled":
      return "the binary bundled with the extension";
    case "path":
      return "PATH";
  }
}

/**
 * Shows the server's indexing progress (`$/progress` after `window/workDoneProgress/create`) in a
 * status bar item instead of a notification. Registered after the client's own progress feature, so
 * its handler for `window/workDoneProgress/create` is the one that stays.
 */
class StatusBarProgress implements StaticFeature {
  private readonly active = new Map<string | number, vscode.Disposable>();

  constructor(
    private readonly client: LanguageClient,
    private readonly status: vscode.StatusBarItem,
  ) {}

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = capabilities.window ?? {};
    capabilities.window.workDoneProgress = true;
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.active.get(token)?.dispose();
      const subscription = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
        switch (value.kind) {
          case "begin":
          case "report":
            this.show(value);
            break;
          case "end":
            this.active.get(token)?.dispose();
            this.active.delete(token);
            if (this.active.size === 0) {
              this.status.hide();
            }
            break;
        }
      });
      this.active.set(token, subscription);
    });
  }

  getState(): FeatureState {
    return { kind: "static" };
  }

  clear(): void {
    for (const subscription of this.active.values()) {
      subscription.dispose();
    }
    this.active.clear();
  }

  private show(value: WorkDoneProgressBegin | WorkDoneProgressReport): void {
    this.status.text = progressText(value.message, value.percentage);
    this.status.tooltip = "brine is checking the workspace. Click to see the logs.";
    this.status.backgroundColor = undefined;
    this.status.show();
  }
}
