/**
 * A real Agentcron runner in a child process, for crash tests: boots exactly as the
 * server does (migrate, register the runner, reconcile, start the scheduler with the
 * runtimes in the DB) against AGENTCRON_DATA_DIR, prints `ready <runnerId>`, then, once a
 * whole scheduler pass and the notification sender's round after it are done, `idle`; then
 * runs until killed. Started with `node --conditions=react-server --import tsx`.
 */
import { boot, bootState } from "../../src/lib/boot.ts";
import { getSchedulerHandle } from "../../src/lib/scheduler/control.ts";
import type { SchedulerLoop } from "../../src/lib/scheduler/loop.ts";

void boot().then(async () => {
  process.stdout.write(`ready ${bootState().runnerId}\n`);
  const loop = getSchedulerHandle() as SchedulerLoop;
  await loop.runPass();
  await loop.notifications.drain();
  process.stdout.write("idle\n");
});
setInterval(() => {}, 1 << 30);
