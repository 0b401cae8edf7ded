/**
 * SQLite incremental vacuum (ADR 0018): a new file starts in INCREMENTAL mode; an existing
 * file in NONE mode is switched at boot by one VACUUM when small enough, and left alone (with
 * the data intact) when over the limit; pruned pages then go back to the file system.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { getDb, migrateDatabase, openDatabase } from "@/lib/db/client";
import { ensureIncrementalVacuum, selectStorageStats } from "@/lib/db/queries/storage";
import { prepareStorage, runMaintenance } from "@/lib/retention/maintenance";
import { makeSchedule, T0 } from "../factories";
import { insertRuns } from "./support";

const DAY = 24 * 3600 * 1000;
const dialect = process.env.AGENTCRON_TEST_DIALECT === "pg" ? "pg" : "sqlite";

/** A migrated Agentcron file created the way versions before retention did: auto_vacuum NONE. */
function legacyFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-vac-")), "agentcron.db");
  const raw = new Database(file);
  raw.pragma("auto_vacuum = NONE");
  raw.exec("CREATE TABLE keep_me (x INTEGER)");
  raw.exec("INSERT INTO keep_me VALUES (42)");
  raw.close();
  return file;
}

if (dialect === "sqlite") {
  describe("incremental vacuum (SQLite)", () => {
    it("new files start INCREMENTAL; a small existing file is converted at boot, a large one is left alone; pruning shrinks the file", async () => {
      expect((await selectStorageStats(getDb())).autoVacuum).toBe("incremental");

      const big = openDatabase(legacyFile());
      migrateDatabase(big);
      expect((await selectStorageStats(big)).autoVacuum).toBe("none");
      expect(await ensureIncrementalVacuum(big, 1, 1 << 20)).toBe("too_large");
      expect((await selectStorageStats(big)).autoVacuum).toBe("none");
      big.$client.close();

      const file = legacyFile();
      const db = openDatabase(file);
      migrateDatabase(db);
      await prepareStorage(db);
      expect((await selectStorageStats(db)).autoVacuum).toBe("incremental");
      expect(db.$client.prepare("SELECT x FROM keep_me").get()).toEqual({ x: 42 });

      const s = await makeSchedule({}, db);
      await insertRuns(db, s.id, T0 - 200 * DAY, T0 - 100 * DAY, 3_000, 2);
      const full = (await selectStorageStats(db)).sizeBytes;
      const report = await runMaintenance(db, T0, { dataDir: path.dirname(file) });
      const after = await selectStorageStats(db);
      expect(report.deleted.tasks).toBe(3_000 - 20);
      expect(report.vacuumedPages).toBeGreaterThan(0);
      expect(after.freeBytes).toBe(0);
      expect(after.sizeBytes).toBeLessThan(full / 4);
      db.$client.pragma("wal_checkpoint(TRUNCATE)");
      expect(fs.statSync(file).size).toBe(after.sizeBytes);
      db.$client.close();
    });
  });
} else {
  describe("incremental vacuum on PostgreSQL", () => {
    it("is not SQLite's business: nothing to convert, storage stats come from the catalog", async () => {
      expect(await ensureIncrementalVacuum(getDb(), 1, 1)).toBe("not_sqlite");
      const stats = await selectStorageStats(getDb());
      expect(stats).toMatchObject({ dialect: "pg", freeBytes: null, autoVacuum: null });
      expect(stats.sizeBytes).toBeGreaterThan(1_000_000);
    });
  });
}
