import { getDb, withTransaction } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";

/** Clears the spend tables (truncateAll leaves them: deleting tasks never lowers them, by design). */
export async function clearSpendTables(db = getDb()): Promise<void> {
  await withTransaction(db, async (tx) => {
    const t = tablesOf(tx);
    for (const table of [t.scheduleUsageRollups, t.scheduleOutcomeCounts, t.budgetBreaches]) await run(tx, tx.delete(table));
  });
}
