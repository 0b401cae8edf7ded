// The spawner process (ADR 0028): a small, long-lived plain-Node process whose only job is to
// start agent processes for the process that forked it (the executor host's worker thread, or
// the main thread when runs execute inline).
//
// Why a process: `child_process.spawn` is fork + exec, synchronous in the calling thread, and
// fork copies the caller's page tables under its memory-map lock. Forking the Next.js server
// (hundreds of MB) costs 25–50 ms, and spawns from any thread of it serialize; forking this
// process (tens of MB, nothing but node:child_process) costs ~5 ms.
//
// Protocol (IPC channel, JSON; see client.ts):
//   in:  {t:"spawn", id, file, args, cwd, env, stdin: string | null, nice: number | null}
//        {t:"close"}: exit once every agent started here has exited (their exits are reported)
//   out: {t:"ready"}
//        {t:"spawned", id, pid}                    then, each with its pipe's handle attached,
//        {t:"stdout", id} + handle, {t:"stderr", id} + handle
//        {t:"exit", id, code, signal}              when the agent exits (this process reaps it)
//        {t:"spawn-error", id, code, message}      when it could not be started (ENOENT …)
// The agent's stdout/stderr pipes are handed over (SCM_RIGHTS): the requesting thread reads
// them directly, no byte of agent output passes through here. The prompt (when it goes on
// stdin) is written here and stdin closed.
//
// Keep this file free of app imports: its whole point is to stay small.
import { spawn } from "node:child_process";
import { setPriority } from "node:os";

if (!process.send) {
  console.error("spawner-process: no IPC channel (start it with child_process.fork)");
  process.exit(2);
}

const send = (message, handle) => {
  try {
    if (handle) process.send(message, handle);
    else process.send(message);
  } catch {
    // The channel is gone: the 'disconnect' handler exits.
  }
};

/** Agents started and not yet exited. */
let live = 0;
/** Asked to close: exit once the last agent exited (its exit is still reported). */
let closing = false;
const exitIfDone = () => {
  // Disconnect on a later turn: a "close" that arrived before this script's listener existed
  // is delivered from inside Node's own loop over the queued messages, which crashes (its
  // channel already null) if the channel is closed under it (Node 20).
  if (closing && live === 0) setImmediate(() => process.connected && process.disconnect());
};

function start(request) {
  const { id } = request;
  let child;
  try {
    child = spawn(request.file, request.args, {
      cwd: request.cwd ?? undefined,
      // Exactly what the requester computed (the runtime's allow-list, ADR 0008): nothing of
      // this process's own environment reaches the agent.
      env: request.env,
      stdio: [request.stdin == null ? "ignore" : "pipe", "pipe", "pipe"],
      // Own process group: the requester kills the whole tree through -pid.
      detached: true,
    });
  } catch (err) {
    send({ t: "spawn-error", id, code: err?.code ?? null, message: err?.message ?? String(err) });
    return;
  }
  if (!child.pid) {
    // ENOENT, EACCES, a bad cwd …: Node reports it on the 'error' event.
    child.once("error", (err) => send({ t: "spawn-error", id, code: err.code ?? null, message: err.message }));
    return;
  }
  // The agent's CPU priority (ADR 0029), set the moment it exists: this process keeps the
  // priority it was started with, so the next agents of a burst start before these run.
  if (request.nice != null) {
    try {
      setPriority(child.pid, request.nice);
    } catch {
      // ESRCH: it exited already.
    }
  }
  // Node starts reading a child's pipes at once; stop before the event loop can read a byte,
  // so everything the agent writes stays in the pipe for the requester.
  child.stdout._handle?.readStop();
  child.stderr._handle?.readStop();
  live += 1;
  send({ t: "spawned", id, pid: child.pid });
  // The handles are closed here once sent (keepOpen false).
  send({ t: "stdout", id }, child.stdout);
  send({ t: "stderr", id }, child.stderr);
  if (child.stdin) {
    child.stdin.on("error", () => {
      // EPIPE when the agent exits without reading its prompt; its exit code tells the story.
    });
    child.stdin.end(request.stdin);
  }
  child.on("error", () => {
    // A failed kill or similar after the start: the requester signals the group itself.
  });
  child.once("exit", (code, signal) => {
    live -= 1;
    send({ t: "exit", id, code, signal });
    exitIfDone();
  });
}

process.on("message", (message) => {
  if (message?.t === "spawn") start(message);
  else if (message?.t === "close") {
    closing = true;
    exitIfDone();
  }
});
// The requester is gone (its process died or it closed us): nothing left to do. Agents run
// detached and are not killed here: the requester owns them (ADR 0005 durable ownership).
process.on("disconnect", () => process.exit(0));
send({ t: "ready" });
