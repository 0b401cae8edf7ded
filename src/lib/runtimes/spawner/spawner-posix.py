"""The posix_spawn spawner (ADR 0033): the same job and the same protocol as
spawner-process.mjs (ADR 0028), done by a small Python process that starts agents with
vfork + exec instead of fork + exec.

Why: Node's child_process.spawn forks (libuv 1.46 calls clone() with a copy of the caller's
page tables), about 3.4 ms a start from a small idle Node process on the 2-core machine of
docs/benchmarks.md, and the exec of the child waits behind it. CPython's subprocess uses
vfork (CLONE_VM | CLONE_VFORK: nothing is copied) when no preexec_fn is given: 0.45 ms a
start. Ten agents started at once ran p99 58 ms after the call with Node's spawn and 19 ms
with vfork (same machine, 2026-12-04).

Protocol: Node's IPC channel (the socket in NODE_CHANNEL_FD, "json" serialization: one JSON
document per line), the messages of spawner-process.mjs:
  in:  {t:"spawn", id, file, args, cwd, env, stdin: string | null, nice: number | null}
       {t:"close"}: exit once every agent started here has exited (their exits are reported)
  out: {t:"ready"}, {t:"spawned", id, pid}, {t:"stdout", id} + fd, {t:"stderr", id} + fd,
       {t:"exit", id, code, signal}, {t:"spawn-error", id, code, message}
A message that carries a pipe is sent the way Node sends a handle: wrapped as
{cmd:"NODE_HANDLE", type:"net.Socket", msg:<message>} with the fd in SCM_RIGHTS, and nothing
more is sent until Node answers {cmd:"NODE_HANDLE_ACK"} (NACK: send it again). That framing
is Node's own (lib/internal/child_process.js, unchanged since the cluster module used it);
test/runtimes/spawner.test.ts runs every spawner test against this process, so a Node that
changed it fails there, and the pool falls back to spawner-process.mjs when this process
can't start (no python3, or one older than 3.9, or no pidfd).

Standard library only. Exits 3 before "ready" when it can't do its job here.
"""
import errno
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
from collections import deque


def main() -> None:
    if sys.version_info < (3, 9) or not hasattr(os, "pidfd_open") or not hasattr(socket, "send_fds"):
        sys.exit(3)
    try:
        channel = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
    except (KeyError, ValueError, OSError):
        sys.exit(3)
    channel.setblocking(True)
    sel = selectors.DefaultSelector()
    outbox: deque = deque()  # (line bytes, fd or None)
    state = {"awaiting_ack": None, "closing": False}  # awaiting_ack: the (line, fd) sent, until ACK
    live: dict = {}  # pidfd -> (id, Popen)

    def pump() -> None:
        while outbox and state["awaiting_ack"] is None:
            line, fd = outbox.popleft()
            try:
                if fd is None:
                    channel.sendall(line)
                else:
                    sent = socket.send_fds(channel, [line], [fd])
                    if sent < len(line):
                        channel.sendall(line[sent:])
                    state["awaiting_ack"] = (line, fd)
            except OSError:
                os._exit(0)  # the channel is gone: Node went away

    def send(message: dict, fd=None) -> None:
        if fd is not None:
            message = {"cmd": "NODE_HANDLE", "type": "net.Socket", "msg": message}
        outbox.append(((json.dumps(message) + "\n").encode(), fd))
        pump()

    def exit_if_done() -> None:
        if state["closing"] and not live and not outbox and state["awaiting_ack"] is None:
            os._exit(0)

    def spawn_error(rid, file: str, err: Exception) -> None:
        code = errno.errorcode.get(getattr(err, "errno", None) or 0)
        send({"t": "spawn-error", "id": rid, "code": code, "message": f"spawn {file} {code or err}"})

    def start(request: dict) -> None:
        rid = request["id"]
        file = request["file"]
        fds = []
        try:
            fds.extend(os.pipe())
            fds.extend(os.pipe())
        except OSError as err:
            # EMFILE / ENFILE: this start fails; the spawner and the agents it watches go on.
            for fd in fds:
                os.close(fd)
            spawn_error(rid, file, err)
            return
        out_r, out_w, err_r, err_w = fds
        has_stdin = request.get("stdin") is not None
        try:
            child = subprocess.Popen(
                [file, *request.get("args", [])],
                cwd=request.get("cwd") or None,
                # Exactly what the requester computed (the runtime's allow-list, ADR 0008).
                env=request.get("env") or {},
                stdin=subprocess.PIPE if has_stdin else subprocess.DEVNULL,
                stdout=out_w,
                stderr=err_w,
                # Own process group: the requester kills the whole tree through -pid.
                start_new_session=True,
                close_fds=True,
            )
        except (OSError, ValueError) as err:
            # ValueError: an argument with a NUL byte in it, which Node's spawn refuses too.
            for fd in (out_r, out_w, err_r, err_w):
                os.close(fd)
            spawn_error(rid, file, err)
            return
        os.close(out_w)
        os.close(err_w)
        # The agent's CPU priority (ADR 0029), set the moment it exists.
        if request.get("nice") is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, child.pid, int(request["nice"]))
            except OSError:
                pass  # ESRCH: it exited already
        try:
            pidfd = os.pidfd_open(child.pid)
        except OSError as err:
            # No fd to watch it by (EMFILE): an agent nobody would see exit must not run.
            os.killpg(child.pid, signal.SIGKILL)  # its own session: the group id is its pid
            child.wait()
            for fd in (out_r, err_r):
                os.close(fd)
            if child.stdin:
                child.stdin.close()
            spawn_error(rid, file, err)
            return
        live[pidfd] = (rid, child)
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        send({"t": "spawned", "id": rid, "pid": child.pid})
        send({"t": "stdout", "id": rid}, out_r)
        send({"t": "stderr", "id": rid}, err_r)
        if has_stdin:
            data = request["stdin"].encode()
            # A pipe holds 64 KiB: a longer prompt is written by a thread, so an agent that
            # reads it slowly (or never) can't stall the starts of the others.
            if len(data) <= 65536:
                write_stdin(child, data)
            else:
                threading.Thread(target=write_stdin, args=(child, data), daemon=True).start()

    def reap(pidfd: int) -> None:
        sel.unregister(pidfd)
        os.close(pidfd)
        rid, child = live.pop(pidfd)
        code = child.wait()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"SIG{-code}"
            send({"t": "exit", "id": rid, "code": None, "signal": name})
        else:
            send({"t": "exit", "id": rid, "code": code, "signal": None})

    buffer = b""

    def on_channel() -> None:
        nonlocal buffer
        try:
            chunk = channel.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            # The requester is gone (its process died or it closed us). Agents run detached
            # and are not killed here: the requester owns them (ADR 0005).
            os._exit(0)
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            message = json.loads(line)
            cmd = message.get("cmd")
            if cmd == "NODE_HANDLE_ACK":
                _, fd = state["awaiting_ack"]
                os.close(fd)
                state["awaiting_ack"] = None
                pump()
            elif cmd == "NODE_HANDLE_NACK":
                # Node lost the fd (MSG_CTRUNC): send the same message and fd again.
                again = state["awaiting_ack"]
                state["awaiting_ack"] = None
                outbox.appendleft(again)
                pump()
            elif message.get("t") == "spawn":
                start(message)
            elif message.get("t") == "close":
                state["closing"] = True
        exit_if_done()

    sel.register(channel, selectors.EVENT_READ, "channel")
    send({"t": "ready"})
    while True:
        for key, _ in sel.select():
            if key.data == "channel":
                on_channel()
            else:
                reap(key.fd)
                exit_if_done()


def write_stdin(child: subprocess.Popen, data: bytes) -> None:
    try:
        child.stdin.write(data)
        child.stdin.close()
    except OSError:
        pass  # EPIPE when the agent exits without reading its prompt; its exit code tells the story


if __name__ == "__main__":
    # As spawner-process.mjs (plain Node) does: a Ctrl-C or SIGTERM sent to the whole group
    # ends this process at once, with no traceback; the requester sees it die (ADR 0028).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    main()
