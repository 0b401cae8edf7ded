import "server-only";
import type Database from "better-sqlite3";
import { LRUCache } from "lru-cache";

/** Statements kept per SQLite connection (LRU): every hot shape the app runs, with room to spare. */
export const STATEMENT_CACHE_SIZE = 512;

/** Texts longer than this (ms-stamped ad-hoc scripts, migrations) are prepared afresh each time. */
const MAX_CACHED_TEXT = 8_192;

/**
 * Makes `sqlite.prepare(text)` reuse the statement SQLite compiled for that text before
 * (issue 15 item 0, "hot statements prepared once"). Every drizzle builder call on
 * better-sqlite3 ends in `client.prepare(sql)`: SQLite's compile of a typical select costs
 * ~100 µs on the 2-core bench machine against ~5 µs to run it (2026-12-03), and a scheduler
 * pass or a run's terminal write runs dozens. Keyed by the exact text: drizzle binds values
 * as parameters, so a text is a statement shape and the set stays small (bounded by
 * STATEMENT_CACHE_SIZE, least recently used out; DDL, EXPLAIN and very long texts are not kept).
 *
 * Each `prepare` call returns its own handle on the shared statement ({@link SharedStatement}),
 * because a better-sqlite3 statement's `raw()` and `pluck()` modes are sticky and drizzle sets
 * raw on some handles (selects with mapped fields) and relies on it being off on others. Sharing is safe
 * otherwise: better-sqlite3 runs a statement to completion synchronously, and nothing in the
 * app keeps an iterator open.
 */
export function installStatementCache(sqlite: Database.Database, max: number = STATEMENT_CACHE_SIZE): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new LRUCache<string, Database.Statement>({ max });
  const stats = { hits: 0, compiles: 0, size: () => cache.size };
  statsOf.set(sqlite, stats);
  const cachedPrepare = (text: string): Database.Statement => {
    let statement = cache.get(text);
    if (statement) stats.hits += 1;
    else {
      stats.compiles += 1;
      statement = prepare(text);
      if (text.length > MAX_CACHED_TEXT || /^\s*(create|alter|drop|explain)\b/i.test(text)) return statement;
      cache.set(text, statement);
    }
    return new SharedStatement(statement) as unknown as Database.Statement;
  };
  Object.defineProperty(sqlite, "prepare", { value: cachedPrepare, configurable: true, writable: true });
}

const statsOf = new WeakMap<Database.Database, { hits: number; compiles: number; size(): number }>();

/**
 * How a connection's cache has done: `prepare` calls answered from it (`hits`), texts SQLite
 * compiled (`compiles`), statements kept (`size`). Null when the connection has no cache.
 */
export function statementCacheStats(sqlite: Database.Database): { hits: number; compiles: number; size: number } | null {
  const stats = statsOf.get(sqlite);
  return stats ? { hits: stats.hits, compiles: stats.compiles, size: stats.size() } : null;
}

/**
 * One caller's handle on a cached statement: what better-sqlite3's Statement offers that the
 * app and drizzle use (run/get/all/iterate, raw, pluck, reader, source, columns), with this
 * handle's own modes applied before each read. (`expand` and `safeIntegers` are not offered:
 * nothing uses them.)
 */
class SharedStatement {
  private rawMode = false;
  private pluckMode = false;

  constructor(private readonly statement: Database.Statement) {}

  get reader(): boolean {
    return this.statement.reader;
  }

  get source(): string {
    return this.statement.source;
  }

  /** Rows as arrays (true) or objects (false) for this handle; throws, as better-sqlite3 does, on a statement that returns no data. */
  raw(on = true): this {
    if (!this.statement.reader) this.statement.raw(on);
    this.rawMode = on;
    if (on) this.pluckMode = false;
    return this;
  }

  /** The first column's value instead of rows (this handle only); throws like `raw` on a statement that returns no data. */
  pluck(on = true): this {
    if (!this.statement.reader) this.statement.pluck(on);
    this.pluckMode = on;
    if (on) this.rawMode = false;
    return this;
  }

  run(...params: unknown[]): Database.RunResult {
    return this.statement.run(...params);
  }

  get(...params: unknown[]): unknown {
    return this.mode().get(...params);
  }

  all(...params: unknown[]): unknown[] {
    return this.mode().all(...params);
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    return this.mode().iterate(...params);
  }

  columns(): Database.ColumnDefinition[] {
    return this.statement.columns();
  }

  private mode(): Database.Statement {
    if (!this.statement.reader) return this.statement;
    // better-sqlite3: pluck(true) turns raw off; raw(x) leaves pluck as it was.
    return this.pluckMode ? this.statement.pluck(true) : this.statement.pluck(false).raw(this.rawMode);
  }
}
