/**
 * `npm start`: build when needed, then serve the production app on HOST:PORT
 * (default 127.0.0.1:3000) with the embedded SQLite database in AGENTCRON_DATA_DIR
 * (default ./data).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { buildIfNeeded, root } from "./build-if-needed.mjs";

buildIfNeeded();
const host = process.env.HOST || "127.0.0.1";
const port = process.env.PORT || "3000";
const child = spawn(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "start", "-H", host, "-p", port], {
  cwd: root,
  stdio: "inherit",
  // Agentcron's boot hook owns SIGTERM/SIGINT: it stops agent runs before the process exits.
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_MANUAL_SIG_HANDLE: "true" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
