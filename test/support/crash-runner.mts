/**
 * A real Agentcron runner in a child process, for crash tests: boots exactly as the
 * server does (migrate, register the runner, reconcile, start the scheduler with the
 * runtimes in the DB) against AGENTCRON_DATA_DIR, prints `ready <runnerId>`, then runs
 * until killed. Started with `node --conditions=react-server --import tsx`.
 */
import { boot, bootState } from "../../src/lib/boot.ts";

void boot().then(() => {
  process.stdout.write(`ready ${bootState().runnerId}\n`);
});
setInterval(() => {}, 1 << 30);
