// Copies a brine binary into bin/ so that the packaged extension runs it by default:
//   node scripts/bundle-server.mjs ../../target/release/brine
//   npx @vscode/vsce package --target linux-x64
// (`--target` marks the .vsix as platform-specific: bundle the binary built for that platform.)
import { chmodSync, copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const source = process.argv[2] ?? process.env.BRINE_BINARY;
if (!source || !existsSync(source)) {
  console.error("usage: node scripts/bundle-server.mjs PATH/TO/brine  (or set BRINE_BINARY)");
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const name = source.toLowerCase().endsWith(".exe") ? "brine.exe" : "brine";
mkdirSync(join(root, "bin"), { recursive: true });
const target = join(root, "bin", name);
copyFileSync(source, target);
chmodSync(target, 0o755);
console.log(`bundled ${resolve(source)} as ${target}`);
