/**
 * Seeded generators for the API fuzz test (api-fuzz.test.ts): a small PRNG
 * (mulberry32 — 32-bit state, enough to replay a run from its seed) and the hostile
 * values the requests are built from: bad JSON, wrong types, huge / NUL / unicode
 * strings, odd ids, near-valid cron expressions and timezones, out-of-range numbers
 * and timestamps.
 */

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

const NOW = Date.now();
const DAY = 86_400_000;

export const WEIRD_STRINGS: readonly string[] = [
  "",
  " ",
  "a",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "true",
  "\u0000",
  "a\u0000b",
  "\u0000\u0000\u0000",
  "🕒⏰🦀",
  "\uD800",
  "\uDFFF\uD800",
  "\u202Egnp.exe",
  "é\u0301",
  "\t\n\r",
  "%",
  "%zz",
  "%00",
  "../../../../etc/passwd",
  "/",
  "C:\\Windows",
  "${AGENTCRON_TOKEN}",
  "${HOME}",
  "{prompt}",
  "{sessionId}",
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt",
  "ghp_abcdefghijklmnopqrstuvwxyz0123",
  "AKIAIOSFODNN7EXAMPLE",
  "a8Fk29sLq0Zx7Vb3Nm5Pw1Rt6Yu4Ie2Oc9",
  "00000000-0000-0000-0000-000000000000",
  "x".repeat(201),
  "y".repeat(4097),
];

export const WEIRD_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  2.5,
  0.1,
  1e300,
  -1e308,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  NOW,
  NOW - DAY,
  NOW + DAY,
  NOW + 365 * DAY,
  253_402_300_799_999,
  253_402_300_800_000,
  -62_135_596_800_000,
  50,
  200,
  201,
  10_000,
  10_001,
  1_000_000_000_001,
];

export const CRONS: readonly string[] = [
  "*/5 * * * *",
  "0 9 * * 1-5",
  "0 0 1 * *",
  "* * * * *",
  "*/30 * * * * *",
  "0 0 29 2 *",
  "0 0 30 2 *",
  "0 0 31 2 *",
  "0 0 31 4 *",
  "61 * * * *",
  "* 25 * * *",
  "* * 0 * *",
  "* * * 13 *",
  "* * * * 8",
  "* * *",
  "* * * * * * *",
  "*/0 * * * *",
  "5-1 * * * *",
  "1,2,,3 * * * *",
  "L * * * *",
  "0 0 L * *",
  "0 0 * * 5L",
  "0 0 * * 1#6",
  "0 0 ? * *",
  "@daily",
  "@reboot",
  "@yearly",
  "0 30 2 * * *",
  "0 2 * * *",
  "0 2 29 2 1",
  "9".repeat(300),
];

export const PLAIN_WORDS: readonly string[] = [
  "every 5 minutes",
  "every day at 9am",
  "weekdays at 09:00",
  "every monday at 25:00",
  "every 0 minutes",
  "every -1 hours",
  "whenever you like",
  "every 99999999999 days",
];

export const TIMEZONES: readonly string[] = [
  "UTC",
  "Europe/Paris",
  "America/New_York",
  "Australia/Lord_Howe",
  "Asia/Kathmandu",
  "Pacific/Chatham",
  "Etc/GMT+12",
  "Etc/GMT-14",
  "Etc/GMT-15",
  "utc",
  "europe/paris",
  "Europe/Paris ",
  "Mars/Olympus",
  "+05:30",
  "GMT+5",
  "EST5EDT",
  "Local",
  "",
];

/** A value of any JSON type (strings and numbers from the weird pools). */
export function weirdValue(rng: Rng, depth = 0): unknown {
  const roll = rng.int(depth > 2 ? 5 : 8);
  switch (roll) {
    case 0:
    case 1:
      return rng.pick(WEIRD_STRINGS);
    case 2:
      return rng.pick(WEIRD_NUMBERS);
    case 3:
      return rng.chance(0.5);
    case 4:
      return null;
    case 5:
      return Array.from({ length: rng.int(4) }, () => weirdValue(rng, depth + 1));
    case 6:
      return weirdObject(rng, depth + 1);
    default:
      return rng.pick(["", "x", "\u0000", "🕒"]);
  }
}

/** An object with 1–3 odd keys (never `{}`: an empty config may be valid, see api-fuzz). */
export function weirdObject(rng: Rng, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) out[rng.pick(["__proto__x", "constructor", "a", "\u0000", "🕒", "x".repeat(300), "bogus", "0"])] = weirdValue(rng, depth);
  return out;
}

/** A huge string, sometimes over every limit. */
export function hugeString(rng: Rng): string {
  return rng.pick(["p", "🕒", "\u0000", "é"]).repeat(rng.pick([100_001, 10_001, 300_000]));
}
