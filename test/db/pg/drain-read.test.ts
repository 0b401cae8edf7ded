/**
 * The PostgreSQL drain's read (ADR 0023): one statement returns the running count and the
 * candidates, its limit computed in SQL from that count (`pgDrainLimit`: 0 when the cap is
 * full, else min(batch, max(slack, 2 × free))); and the batch claim returns the count it saw
 * under the lock, which the drain numbers `concurrentAtClaim` from. Both run as named prepared
 * statements (ADR 0026), planned once per connection, and different runner labels reuse them.
 */
import { describe, expect, it } from "vitest";
import { getDb, openPgHandle } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import { pgDrainLimit, selectClaimedTasks, selectPgDrainBatch } from "@/lib/db/queries/slots";
import { getSettings } from "@/lib/config/settings";
import { drainQueue } from "@/lib/scheduler/drain";
import { makeTask, T0 } from "../../factories";

const CAP = 20;

/** A node of EXPLAIN (FORMAT JSON)'s plan tree: the keys this file reads. */
interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  Plans?: PlanNode[];
}
const read = () => selectPgDrainBatch(getDb(), { now: T0, cap: CAP, batch: 200, slack: 16 });

describe("the PostgreSQL drain's read and count", () => {
  it("sizes the candidate read from the running count of the same statement, and returns nothing at the cap", async () => {
    expect([pgDrainLimit(0, 200, 16), pgDrainLimit(-3, 200, 16), pgDrainLimit(2, 200, 16), pgDrainLimit(10, 200, 16), pgDrainLimit(80, 200, 16), pgDrainLimit(120, 200, 16)]).toEqual([0, 0, 16, 20, 160, 200]);
    const made: string[] = [];
    for (let i = 0; i < 120; i++) made.push((await makeTask({ createdAt: T0 + i, status: i < 18 ? "running" : "queued", startedAt: i < 18 ? T0 : null })).id);
    let r = await read();
    expect(r.running).toBe(18);
    expect(r.candidates).toHaveLength(16); // free 2 → max(16, 4)
    expect(r.candidates[0].task.id).toBe(made[18]); // FIFO
    const settings = { ...(await getSettings(getDb())), maxConcurrent: CAP };
    const res = await drainQueue({ db: getDb(), now: T0 + 1, runnerId: "r1", settings, chatStreams: 0, runnerLabels: [] });
    expect(res.claimed.map((c) => c.concurrentAtClaim)).toEqual([19, 20]);
    // The launcher gets the claimed tasks' whole rows, as the claim returned them.
    expect(res.claimed.map((c) => [c.task.id, c.task.status, c.task.runnerId, c.task.createdAt, c.task.slotClaimedAt])).toEqual([
      [made[18], "running", "r1", T0 + 18, T0 + 1],
      [made[19], "running", "r1", T0 + 19, T0 + 1],
    ]);
    r = await read();
    expect(r).toEqual({ running: null, candidates: [] });
    expect((await drainQueue({ db: getDb(), now: T0 + 2, runnerId: "r1", settings, chatStreams: 0, runnerLabels: [] })).claimed).toEqual([]);
  });

  it("runs the read, the batch claim (with the cap's lock, one round trip) and the claimed rows' read as prepared statements on each connection, whatever the runner's labels", async () => {
    await (getDb() as unknown as PgDb).$client.query("TRUNCATE tasks CASCADE"); // what the first test left
    for (let i = 0; i < 6; i++) await makeTask({ createdAt: T0 + i });
    // One connection, so the session that prepared the statements is the one asked.
    const { db, ready } = openPgHandle(process.env.DATABASE_URL!, { poolSize: 1, applicationName: "named-statements-test" });
    await ready;
    try {
      const settings = { ...(await getSettings(db)), maxConcurrent: CAP };
      const first = await drainQueue({ db, now: T0 + 1, runnerId: "r1", settings, chatStreams: 0, runnerLabels: [] });
      const second = await drainQueue({ db, now: T0 + 2, runnerId: "r2", settings, chatStreams: 0, runnerLabels: ["gpu", "repo"] });
      // Nothing left after the first drain claimed all six; the labels only change a parameter.
      expect([first.claimed.length, second.claimed.length]).toEqual([6, 0]);
      for (let i = 0; i < 3; i++) await makeTask({ createdAt: T0 + 10 + i });
      const third = await drainQueue({ db, now: T0 + 3, runnerId: "r2", settings, chatStreams: 0, runnerLabels: ["gpu"] });
      expect(third.claimed.map((c) => c.concurrentAtClaim)).toEqual([7, 8, 9]);
      const names = (await (db as unknown as PgDb).$client.query("SELECT name FROM pg_prepared_statements ORDER BY name")).rows.map((r: { name: string }) => r.name);
      expect(names.filter((n: string) => n === "ac_pg-drain-read")).toHaveLength(1);
      expect(names.filter((n: string) => n.startsWith("acl_claim_batch_"))).toHaveLength(1);
      // The batch claim returns the claimed rows whole: no read of them after it.
      expect(names.filter((n: string) => n === "ac_claimed-tasks")).toHaveLength(0);

      // The read counts the running tasks once and by index, also in the generic plan a named
      // statement gets after its fifth run. Counted three times (the column and the limit's two
      // uses), the count was most of the read's buffer reads; with the status as a parameter the
      // generic plan scanned the whole table (auto_explain, 2026-12-04).
      // A history as a real database has one (thousands of finished runs, few running), with
      // statistics, so the plan doesn't hang on whether autovacuum analyzed a tiny table yet.
      const client = (db as unknown as PgDb).$client;
      await client.query(
        "INSERT INTO tasks (id, title, prompt, status, source_type, root_source_type, max_turns, created_at, finished_at) SELECT 'done-' || g, 't', 'p', 'completed', 'manual', 'manual', 1, g, g FROM generate_series(1, 5000) AS g",
      );
      await client.query("ANALYZE tasks");
      const [{ n }] = (await client.query("SELECT cardinality(parameter_types) AS n FROM pg_prepared_statements WHERE name = 'ac_pg-drain-read'")).rows;
      await client.query("SET plan_cache_mode = force_generic_plan");
      const plan = (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE "ac_pg-drain-read"(${Array(n).fill("NULL").join(", ")})`)).rows[0]["QUERY PLAN"][0].Plan;
      await client.query("RESET plan_cache_mode");
      const nodes: PlanNode[] = [];
      const walk = (p: PlanNode) => (nodes.push(p), p.Plans?.forEach(walk));
      walk(plan);
      expect(nodes.filter((p) => p["Node Type"] === "Seq Scan" && p["Relation Name"] === "tasks")).toEqual([]);
      const counts = nodes.filter((p) => p["Node Type"] === "Aggregate" && p.Plans?.length === 1 && p.Plans[0]["Relation Name"] === "tasks" && !p.Plans[0].Filter);
      expect(counts.map((p) => p.Plans![0]["Index Cond"])).toEqual(["(status = 'running'::text)"]);
    } finally {
      await closePgDatabase(db as unknown as PgDb);
    }
  });
  it("hands the launcher the claimed rows from the claim's RETURNING, field for field what a read of them gives", async () => {
    await (getDb() as unknown as PgDb).$client.query("TRUNCATE tasks CASCADE");
    const rich = await makeTask({
      createdAt: T0,
      plannedAt: T0 - 5,
      maxRunDurationSec: 60,
      backfill: true,
      costUsd: 0.25,
      inputTokens: 3,
      agentProcessGroups: [{ pgid: 4242, startTime: 77 }],
    });
    const plain = await makeTask({ createdAt: T0 + 1 });
    const settings = { ...(await getSettings(getDb())), maxConcurrent: CAP };
    const res = await drainQueue({ db: getDb(), now: T0 + 10, runnerId: "r1", settings, chatStreams: 0, runnerLabels: [] });
    expect(res.claimed.map((c) => c.task.id)).toEqual([rich.id, plain.id]);
    const read = await selectClaimedTasks(getDb(), [rich.id, plain.id]);
    const byId = new Map(read.map((r) => [r.id, r]));
    for (const { task } of res.claimed) expect(task).toEqual(byId.get(task.id));
    const returned = res.claimed[0].task;
    expect([returned.backfill, returned.costUsd, returned.agentProcessGroups, returned.leaseExpiresAt, returned.plannedAt]).toEqual([true, 0.25, [{ pgid: 4242, startTime: 77 }], T0 + 10 + 60_000, T0 - 5]);
  });
});
