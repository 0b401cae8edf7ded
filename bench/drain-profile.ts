/**
 * Drain profile (issue 14 item 7, SQLite): 50,000 queued manual tasks, cap 100; times the
 * drain's two statements separately — the candidate query (selectDrainCandidates) and the batch
 * claim (claimBatch) — against 100 per-task conditional UPDATEs (claimSlot) on the same
 * candidates, each in one transaction as drainQueue runs them. LIMIT candidates per drain
 * (default 116 = 100 free slots + DRAIN_CANDIDATE_SLACK, as drainQueue reads them; 200 before
 * the ADR 0016 amendment). Prints EXPLAIN QUERY PLAN of both statements. Not a test: figures
 * for docs/benchmarks.md.
 *
 *   [N=50000] [LIMIT=116] [RUNS=batch:200,batch:116,…] node --conditions=react-server --import tsx bench/drain-profile.ts
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-drainprof-"));
process.env.AGENTCRON_DATA_DIR = dataDir;
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");

async function main() {
  const { getDb, withTransaction } = await import("../src/lib/db/client");
  const { selectDrainCandidates, claimBatch } = await import("../src/lib/db/queries/slots");
  const { claimSlot } = await import("../src/lib/scheduler/slot-claim");
  const db = getDb();
  const texts = new Map<string, string>();
  const origPrepare = db.$client.prepare.bind(db.$client);
  (db.$client as { prepare: typeof origPrepare }).prepare = ((text: string) => {
    if (text.includes("WITH cand")) texts.set("claimBatch", text);
    else if (text.includes("agent_process_groups") && text.includes("order by")) texts.set("candidates", text);
    return origPrepare(text);
  }) as typeof origPrepare;
  const N = Number(process.env.N ?? 50_000);
  const now = Date.now();
  const seed = () => {
    db.$client.exec("DELETE FROM tasks");
    const ins = db.$client.prepare("INSERT INTO tasks (id, title, prompt, status, source_type, root_source_type, max_turns, created_at) VALUES (?, 't', 'p', 'queued', 'manual', 'manual', 10, ?)");
    db.$client.transaction(() => {
      for (let i = 0; i < N; i++) ins.run(`t${i}`, now + i);
    })();
  };
  const completeAll = db.$client.prepare("UPDATE tasks SET status = 'completed' WHERE status = 'running'");
  // RUNS: mode:limit pairs, alternated so load drift on a shared machine hits both alike.
  const defaultLimit = Number(process.env.LIMIT ?? 116);
  const runs = (process.env.RUNS ?? `batch:${defaultLimit},perTask:${defaultLimit},batch:${defaultLimit},perTask:${defaultLimit}`).split(",").map((r) => {
    const [mode, limit] = r.split(":");
    return { mode: mode as "batch" | "perTask", limit: Number(limit ?? defaultLimit) };
  });
  for (const { mode, limit } of runs) {
    seed();
    let candMs = 0;
    let claimMs = 0;
    let claimed = 0;
    let drains = 0;
    while (claimed < N) {
      let got = 0;
      await withTransaction(db, async (tx) => {
        const t0 = performance.now();
        const cands = await selectDrainCandidates(tx, now, limit, []);
        const t1 = performance.now();
        candMs += t1 - t0;
        if (mode === "batch") {
          got = (await claimBatch(tx, { candidates: cands.map((c) => ({ taskId: c.task.id, serialize: false })), runnerId: "bench", now, cap: 100, defaultLeaseSec: 1200, runnerLabels: [] })).ids.length;
        } else {
          for (const c of cands) {
            if (got >= 100) break;
            if (await claimSlot(tx, { taskId: c.task.id, runnerId: "bench", now, cap: 100, defaultLeaseSec: 1200, runnerLabels: [] })) got++;
          }
        }
        claimMs += performance.now() - t1;
      });
      if (!got) break;
      claimed += got;
      drains++;
      completeAll.run();
    }
    console.log(`${mode}, ${limit} candidates: ${claimed} claims in ${drains} drains; candidates ${(candMs / drains).toFixed(2)} ms/drain, claim ${(claimMs / drains).toFixed(2)} ms/drain; ${(claimed / ((candMs + claimMs) / 1000)).toFixed(0)} claims/s (excl. commit)`);
  }
  for (const [name, text] of texts) {
    console.log(`\nEXPLAIN QUERY PLAN ${name}:`);
    const params = name === "claimBatch"
      ? { cands: JSON.stringify([["t1", 0]]), now, defaultLeaseSec: 1200, runnerId: "bench", cap: 100, runnerCap: 100, labels: "[]" }
      : undefined;
    const stmt = origPrepare(`EXPLAIN QUERY PLAN ${text}`);
    const plan = (params ? stmt.all(params) : stmt.all(...Array((text.match(/\?/g) ?? []).length).fill(null)) ) as { id: number; parent: number; detail: string }[];
    for (const r of plan) console.log(`  ${r.parent} ${r.id} ${r.detail}`);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
