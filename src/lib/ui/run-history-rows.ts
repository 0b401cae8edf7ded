/** Pure grouping of a schedule's run history into table rows (schedule detail page). */
import type { EventDto, TaskDto } from "./types";

export type HistoryItem =
  | { kind: "run"; root: TaskDto; retries: TaskDto[]; at: number }
  | { kind: "skipped"; task: TaskDto; at: number }
  | { kind: "missed"; event: EventDto; count: number; at: number };

export type FoldItem = Exclude<HistoryItem, { kind: "run" }>;
export type HistoryRow = { kind: "run"; root: TaskDto; retries: TaskDto[] } | { kind: "fold"; items: FoldItem[] };

/**
 * Groups a schedule's tasks (newest first) into history rows: each root task with its
 * retries nested under it (a retry's parent chain is followed to the root), and every
 * run of consecutive skipped tasks and missed-occurrence events folded into one row.
 */
export function groupHistory(tasks: TaskDto[], missedEvents: EventDto[]): HistoryRow[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const rootOf = (t: TaskDto): TaskDto => {
    let cur = t;
    for (let i = 0; i < 50 && cur.parentTaskId && byId.has(cur.parentTaskId); i++) cur = byId.get(cur.parentTaskId)!;
    return cur;
  };
  const retries = new Map<string, TaskDto[]>();
  const items: HistoryItem[] = [];
  for (const t of tasks) {
    const root = rootOf(t);
    if (root.id !== t.id) {
      retries.set(root.id, [...(retries.get(root.id) ?? []), t]);
      continue;
    }
    const at = Date.parse(t.plannedAt ?? t.createdAt);
    items.push(t.status === "skipped" ? { kind: "skipped", task: t, at } : { kind: "run", root: t, retries: [], at });
  }
  for (const e of missedEvents) {
    const count = typeof e.data?.count === "number" ? (e.data.count as number) : 1;
    items.push({ kind: "missed", event: e, count, at: Date.parse(e.createdAt) });
  }
  items.sort((a, b) => b.at - a.at);
  const rows: HistoryRow[] = [];
  for (const item of items) {
    if (item.kind === "run") {
      rows.push({ kind: "run", root: item.root, retries: (retries.get(item.root.id) ?? []).sort((a, b) => a.attempt - b.attempt) });
      continue;
    }
    const last = rows[rows.length - 1];
    if (last?.kind === "fold") last.items.push(item);
    else rows.push({ kind: "fold", items: [item] });
  }
  return rows;
}

