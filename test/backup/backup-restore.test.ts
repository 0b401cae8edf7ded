/**
 * Backup and restore (issue 11 item 5). SQLite: POST /api/backup and `npm run backup <path>`
 * write consistent snapshots while two connections (this process and another) keep writing;
 * `npm run restore` refuses while a worker runs on the data directory and refuses files that
 * are not Agentcron databases; restored into a fresh data directory, the app boots there (a
 * real `npm run worker` process: the boot path migrates, registers, starts the scheduler) and
 * every schedule, runtime and task of the snapshot is there. The daily backup keeps N.
 * PostgreSQL: POST /api/backup answers 409 `backup_unsupported` pointing at pg_dump, and
 * `npm run backup` exits 2 saying the same.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import * as backupRoute from "@/app/api/backup/route";
import { backupsDir, listDailyBackups, runDailyBackup } from "@/lib/backup/backup";
import { databasePath, getDb, openDatabase, resolveDataDir } from "@/lib/db/client";
import { inspectDatabaseFile } from "@/lib/db/queries/storage";
import { makeRuntime, makeSchedule, T0 } from "../factories";
import { callRoute } from "../http";
import { waitFor } from "../support/test-runtime";
import { countersMatch, insertRuns } from "../retention/support";

const ROOT = path.resolve(__dirname, "../..");
const dialect = process.env.AGENTCRON_TEST_DIALECT === "pg" ? "pg" : "sqlite";
const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

/**
 * Runs a package.json script (without npm in between) to its end; this process's event loop keeps
 * running meanwhile. Resolves on 'close', not 'exit': a child's last output can still be in its
 * pipes when 'exit' is emitted.
 */
function runScript(name: string, args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...rest] = scripts[name].split(" ");
  const child = spawn(command, [...rest, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** Starts `npm run worker` on a data directory; resolves with its health URL once booted. */
async function startWorker(dataDir: string): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const [command, ...args] = scripts.worker.split(" ");
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, AGENTCRON_DATA_DIR: dataDir, AGENTCRON_WORKER_PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await waitFor(() => /worker health on http/.test(out) && /booted as runner_/.test(out), `the worker to boot:\n${out}`, 90_000);
  return { child, base: out.match(/worker health on (http:\/\/127\.0\.0\.1:\d+)/)![1], output: () => out };
}

function idsIn(file: string, table: string): string[] {
  const conn = new Database(file, { readonly: true });
  try {
    return (conn.prepare(`SELECT id FROM ${table} ORDER BY id`).all() as { id: string }[]).map((r) => r.id);
  } finally {
    conn.close();
  }
}

if (dialect === "sqlite") {
  describe("backup and restore (SQLite)", () => {
    it("backs up under load (this process and another writing, a worker running), refuses restore while in use, restores into a fresh dir where the app boots with everything", { timeout: 300_000 }, async () => {
      const db = getDb();
      const runtimes = [await makeRuntime({ isDefault: true }), await makeRuntime()];
      const schedules = [];
      for (let i = 0; i < 5; i++) schedules.push(await makeSchedule({ runtimeId: runtimes[i % 2].id, status: "paused", pausedReason: "manual", nextFireAt: null }));
      for (const s of schedules) await insertRuns(db, s.id, T0 - 86_400_000, T0, 400, 2);
      const dataDir = resolveDataDir();
      const worker = await startWorker(dataDir);

      // Load: this process's connection and another process keep inserting runs until told to stop.
      const other = spawn(process.execPath, [path.join(ROOT, "test/fixtures/sqlite-writer.mjs"), databasePath(), schedules[1].id], { stdio: ["ignore", "pipe", "inherit"] });
      children.push(other);
      let otherOut = "";
      other.stdout!.on("data", (d: Buffer) => (otherOut += d.toString()));
      let writing = true;
      let written = 0;
      const load = (async () => {
        for (let k = 0; writing; k++) {
          await insertRuns(db, schedules[0].id, T0 + k * 1000, T0 + k * 1000 + 999, 20, 1);
          written += 20;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await waitFor(() => written >= 200 && otherOut.includes("writing"), "the load to start", 30_000);

      const res = await callRoute(backupRoute.POST, "/api/backup", { method: "POST" });
      const explicit = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bk-")), "mine.db");
      const cli = await runScript("backup", [explicit]);
      writing = false;
      await load;
      other.kill("SIGTERM");
      await new Promise((resolve) => other.once("exit", resolve));
      expect(written).toBeGreaterThan(200);
      expect(Number(otherOut.match(/written (\d+)/)![1])).toBeGreaterThan(0);

      expect(res.status).toBe(201);
      expect(path.dirname(res.data.path)).toBe(backupsDir(dataDir));
      expect(path.basename(res.data.path)).toMatch(/^agentcron-\d{8}-\d{6}Z\.db$/);
      expect(res.data.bytes).toBe(fs.statSync(res.data.path).size);
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual({ path: explicit, bytes: fs.statSync(explicit).size });
      for (const file of [res.data.path as string, explicit]) {
        const report = inspectDatabaseFile(file);
        expect(report.ok, report.problem).toBe(true);
        expect(report.runtimes).toBe(2);
        expect(report.schedules).toBe(5);
        expect(report.tasks!).toBeGreaterThanOrEqual(2000);
        // A consistent snapshot: the trigger-maintained counters equal a recount of the copied rows.
        const copy = openDatabase(file);
        try {
          const c = await countersMatch(copy);
          expect(c.counted).toBe(c.recounted);
          expect(c.bySchedule).toBe(true);
        } finally {
          copy.$client.close();
        }
        expect(fs.existsSync(`${file}-wal`)).toBe(false); // self-contained
      }

      // Restore refuses while the worker runs on the data directory, and refuses other files.
      const refused = await runScript("restore", [res.data.path], { AGENTCRON_DATA_DIR: dataDir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/Agentcron is running on .*worker pid \d+/);
      const notOurs = path.join(os.tmpdir(), `other-${process.pid}.db`);
      const foreign = new Database(notOurs);
      foreign.exec("CREATE TABLE notes (id TEXT)");
      foreign.close();
      for (const bad of [notOurs, path.join(ROOT, "package.json"), path.join(os.tmpdir(), "missing-backup.db")]) {
        const r = await runScript("restore", [bad], { AGENTCRON_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-rs-")) });
        expect(r.code, bad).toBe(2);
        expect(r.stderr).toMatch(/not an Agentcron database|not a SQLite database|no file/i);
      }
      worker.child.kill("SIGINT");
      await new Promise((resolve) => worker.child.once("exit", resolve));

      // Restore the CLI's snapshot into a fresh data directory; the app boots there with everything.
      const fresh = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-restored-"));
      const restored = await runScript("restore", [explicit], { AGENTCRON_DATA_DIR: fresh });
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toMatch(/5 schedules, 2 runtimes, \d+ tasks/);
      const booted = await startWorker(fresh);
      const health = await fetch(`${booted.base}/api/health`);
      expect(health.status).toBe(200);
      const target = path.join(fresh, "agentcron.db");
      for (const table of ["schedules", "runtimes", "tasks"]) expect(idsIn(target, table), table).toEqual(idsIn(explicit, table));
      expect(idsIn(target, "schedules")).toEqual(schedules.map((s) => s.id).sort());
      expect(idsIn(target, "runtimes")).toEqual(runtimes.map((r) => r.id).sort());
      booted.child.kill("SIGINT");
      await new Promise((resolve) => booted.child.once("exit", resolve));

      // Restoring over an existing (stopped) database keeps the replaced one under backups/.
      const again = await runScript("restore", [res.data.path], { AGENTCRON_DATA_DIR: fresh });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/saved as .*pre-restore-\d{8}-\d{6}Z\.db/);
      const saved = fs.readdirSync(backupsDir(fresh)).filter((n) => n.startsWith("pre-restore-"));
      expect(saved).toHaveLength(1);
      expect(idsIn(path.join(backupsDir(fresh), saved[0]), "tasks").length).toBeGreaterThan(0);
    });

    it("POST /api/backup takes no path from the network; other methods are 405; the CLI never overwrites a file", async () => {
      getDb(); // the database file exists
      const outside = path.join(os.tmpdir(), `agentcron-evil-${process.pid}.db`);
      const res = await callRoute(backupRoute.POST, "/api/backup", { method: "POST", json: { path: outside } });
      expect(res.status).toBe(400);
      expect(res.data).toMatchObject({ error: "invalid_request", fields: { path: expect.any(String) } });
      expect(fs.existsSync(outside)).toBe(false);
      const get = await callRoute(backupRoute.GET, "/api/backup");
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toContain("POST");
      const cliExisting = await runScript("backup", [path.join(ROOT, "package.json")]);
      expect(cliExisting.code).toBe(1);
      expect(cliExisting.stderr).toMatch(/already exists/);
    });

    it("the daily backup runs once a day and keeps the newest N automatic backups, never a manual one", async () => {
      const db = getDb();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-daily-"));
      fs.mkdirSync(backupsDir(dataDir));
      fs.writeFileSync(path.join(backupsDir(dataDir), "agentcron-20250101-000000Z.db"), "manual");
      const day = 24 * 3600 * 1000;
      expect(await runDailyBackup(db, dataDir, T0, 3)).not.toBeNull();
      expect(await runDailyBackup(db, dataDir, T0 + day - 1, 3)).toBeNull();
      for (let d = 1; d <= 5; d++) expect(await runDailyBackup(db, dataDir, T0 + d * day, 3)).not.toBeNull();
      const kept = listDailyBackups(dataDir);
      expect(kept.map((b) => b.takenAt)).toEqual([T0 + 5 * day, T0 + 4 * day, T0 + 3 * day]);
      expect(fs.existsSync(path.join(backupsDir(dataDir), "agentcron-20250101-000000Z.db"))).toBe(true);
    });
  });
} else {
  describe("backup on PostgreSQL", () => {
    it("POST /api/backup answers 409 backup_unsupported pointing at pg_dump; npm run backup exits 2 saying the same", async () => {
      const res = await callRoute(backupRoute.POST, "/api/backup", { method: "POST" });
      expect(res.status).toBe(409);
      expect(res.data.error).toBe("backup_unsupported");
      expect(res.data.message).toMatch(/pg_dump/);
      const cli = await runScript("backup", []);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/pg_dump/);
      const restore = await runScript("restore", ["/tmp/whatever.db"]);
      expect(restore.code).toBe(2);
      expect(restore.stderr).toMatch(/pg_restore/);
    });
  });
}
