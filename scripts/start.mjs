/**
 * `npm start`: build when needed, then serve the production app on HOST:PORT
 * (default 127.0.0.1:3000) with the embedded SQLite database in AGENTCRON_DATA_DIR
 * (default ./data).
 */
import { startRefusal } from "../src/lib/http/access-config.mjs";
import { buildIfNeeded } from "./build-if-needed.mjs";
import { spawnNextStart } from "./launch.mjs";

const host = process.env.HOST || "127.0.0.1";
// Refuse an exposed server without a token before spending a minute on a build (ADR 0004).
const refusal = startRefusal(process.env, host);
if (refusal) {
  console.error(refusal);
  process.exit(1);
}
buildIfNeeded();
const child = spawnNextStart({ host, port: process.env.PORT || "3000" });
// Forwarded for a signal sent to this process alone; after Ctrl-C the child got its own
// SIGINT from the terminal too, and the server ignores the repeat (src/lib/boot.ts).
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
