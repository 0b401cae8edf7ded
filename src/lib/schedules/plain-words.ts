/**
 * Plain-words schedules → cron. No maintained library covers this (the npm candidates
 * are unmaintained and target node-cron's dialect), so this is a small table of
 * patterns, each tested in plain-words.test.ts. Case-insensitive.
 *
 * Three outcomes (parsePlainWords): a cron expression; a refusal with the reason, for
 * words understood but not expressible truthfully as ONE cron expression (issue #12
 * item 9: "every 7 minutes" as `*\/7` has a 4-minute gap at :56 → :00, "every 90
 * minutes" has no single-expression form); or null, nothing understood.
 *
 * Supported: "every N seconds|minutes|hours" (N dividing the minute / hour / day; 60
 * minutes = hourly, 24 hours = daily), "every minute|hour|day|week|month", "hourly",
 * "daily", "weekly", "monthly", "@hourly|@daily|@midnight|@weekly|@monthly|@yearly|@annually",
 * "twice a day|an hour", "N times a day|an hour" (evenly spaced from midnight / :00),
 * "daily at T", "every day at T", "weekdays at T", "every weekday at T1 and T2",
 * "weekends at T", "every <weekday> at T", "hourly at :MM" / "every hour at minute MM",
 * "first|second|third|fourth|last <weekday> of the month [at T]". Times: "9", "9:30",
 * "9am", "6:30 pm", "18:30", "noon", "midnight"; several joined by "and" or commas.
 */

const DAYS: Record<string, number> = {
  sunday: 0, sun: 0, monday: 1, mon: 1, tuesday: 2, tue: 2, tues: 2, wednesday: 3, wed: 3,
  thursday: 4, thu: 4, thur: 4, thurs: 4, friday: 5, fri: 5, saturday: 6, sat: 6,
};

const ORDINALS: Record<string, number> = { first: 1, "1st": 1, second: 2, "2nd": 2, third: 3, "3rd": 3, fourth: 4, "4th": 4 };

const COUNTS: Record<string, number> = { once: 1, twice: 2, thrice: 3, one: 1, two: 2, three: 3, four: 4, six: 6, eight: 8, twelve: 12 };

/** The outcome of reading plain words: a cron expression, or a refusal saying why. */
export type PlainWordsResult = { cron: string } | { refused: string };

/** "9", "09:30", "9am", "6:30 pm", "18:30", "noon", "midnight" → [hour, minute], or null. */
function parseTime(text: string): [number, number] | null {
  const t = text.trim();
  if (t === "noon" || t === "midday") return [12, 0];
  if (t === "midnight") return [0, 0];
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/.exec(t);
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = m[2] ? Number(m[2]) : 0;
  const meridiem = m[3];
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    if (meridiem === "am" && hour === 12) hour = 0;
    if (meridiem === "pm" && hour !== 12) hour += 12;
  }
  if (hour > 23 || minute > 59) return null;
  return [hour, minute];
}

const hhmm = ([h, m]: [number, number]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;

/**
 * "9:00", "8:30 and 17:30", "9, 13 and 17" → the minute and hour fields, or a refusal when
 * the times share neither their minute nor their hour (cron crosses the two fields:
 * "8:30 and 17:45" would also fire at 8:45 and 17:30), or null when a time is not one.
 */
function timesToFields(text: string): { minute: string; hour: string } | { refused: string } | null {
  const parts = text.split(/\s*(?:,|\band\b|&)\s*/).filter(Boolean);
  const times: [number, number][] = [];
  for (const p of parts) {
    const t = parseTime(p);
    if (!t) return null;
    if (!times.some(([h, m]) => h === t[0] && m === t[1])) times.push(t);
  }
  if (!times.length) return null;
  const hours = [...new Set(times.map((t) => t[0]))].sort((a, b) => a - b);
  const minutes = [...new Set(times.map((t) => t[1]))].sort((a, b) => a - b);
  if (hours.length === 1 || minutes.length === 1) return { minute: minutes.join(","), hour: hours.join(",") };
  return {
    refused: `${times.map(hhmm).join(" and ")} can't be one cron expression: cron fires at every combination of the hours and minutes given (it would also fire at ${hhmm([hours[0], minutes[minutes.length - 1]])}). Create one schedule per time`,
  };
}

/** Every N units where N must divide `span` (60 seconds, 60 minutes, 24 hours); else why not. */
function evenStep(n: number, unit: "second" | "minute" | "hour"): PlainWordsResult {
  const span = unit === "hour" ? 24 : 60;
  const parent = unit === "second" ? "minute" : unit === "minute" ? "hour" : "day";
  const divisors = Array.from({ length: span }, (_, i) => i + 1).filter((d) => span % d === 0 && d < span);
  if (span % n !== 0) {
    const last = Math.floor((span - 1) / n) * n;
    const at = (v: number) => (unit === "second" ? `second ${v}` : unit === "minute" ? `:${String(v).padStart(2, "0")}` : `${String(v).padStart(2, "0")}:00`);
    const cronStep = unit === "second" ? `*/${n} * * * * *` : unit === "minute" ? `*/${n} * * * *` : `0 */${n} * * *`;
    return {
      refused: `every ${n} ${unit}s is not one cron expression: cron's step restarts every ${parent}, so "${cronStep}" fires ${n} ${unit}s apart and then only ${span - last} ${unit}${span - last === 1 ? "" : "s"} from ${at(last)} to ${at(0)}. Use a step that divides ${span} (${divisors.join(", ")}), or type "${cronStep}" as cron to accept the gap`,
    };
  }
  if (unit === "second") return { cron: n === 1 ? "* * * * * *" : `*/${n} * * * * *` };
  if (unit === "minute") return { cron: n === 1 ? "* * * * *" : `*/${n} * * * *` };
  return { cron: n === 1 ? "0 * * * *" : `0 */${n} * * *` };
}

/** "every N minutes|hours|seconds" with any N ≥ 1, folded into the largest unit it fills. */
function everyN(n: number, unit: "second" | "minute" | "hour"): PlainWordsResult | null {
  if (!Number.isInteger(n) || n < 1) return null;
  if (unit === "second") return n < 60 ? evenStep(n, "second") : n % 60 === 0 ? everyN(n / 60, "minute") : refuseAcross(n, "second", 60, "minute");
  if (unit === "minute") return n < 60 ? evenStep(n, "minute") : n % 60 === 0 ? everyN(n / 60, "hour") : refuseAcross(n, "minute", 60, "hour");
  if (n < 24) return evenStep(n, "hour");
  if (n === 24) return { cron: "0 0 * * *" };
  return refuseAcross(n, "hour", 24, "day");
}

const INSTEAD: Record<string, string> = {
  minute: "every 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes",
  hour: "every 1, 2, 3, 4, 6, 8 or 12 hours",
  day: "every day, or chosen weekdays",
};

/** An interval longer than the next unit that doesn't fill it evenly ("every 90 minutes"). */
function refuseAcross(n: number, unit: string, per: number, parent: string): PlainWordsResult {
  const cycle = lcm(n, per) / per;
  return {
    refused: `every ${n} ${unit}s is not one cron expression: that is ${n / per} ${parent}s, so its times of the ${parent} repeat only every ${cycle} ${parent}s, which no cron step can say. Use ${INSTEAD[parent]}, or create one schedule per time`,
  };
}

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}
function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** "N times a day/an hour", evenly spaced from midnight / from :00; refused when uneven. */
function timesPer(count: number, per: "day" | "hour"): PlainWordsResult | null {
  if (!Number.isInteger(count) || count < 1) return null;
  const span = per === "day" ? 24 : 60;
  if (span % count !== 0 || count > span) {
    return { refused: `${count} times a${per === "hour" ? "n" : ""} ${per} can't be spaced evenly by cron (${span} ${per === "day" ? "hours" : "minutes"} don't divide by ${count}); give the times instead, e.g. "every day at 9:00 and 17:00"` };
  }
  const step = span / count;
  const values = Array.from({ length: count }, (_, i) => i * step).join(",");
  return { cron: per === "day" ? `0 ${values} * * *` : `${values} * * * *` };
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/**
 * The 5-field expression of a cron macro ("@daily" → "0 0 * * *", the Vixie cron table),
 * or undefined for anything else. Used for both the plain-words and the cron input.
 */
export function expandCronMacro(text: string): string | undefined {
  return MACROS[text.trim().toLowerCase()];
}

/**
 * Reads plain words: `{cron}` when understood and expressible, `{refused: reason}` when
 * understood but no single cron expression fires as the words say (the reason is a
 * sentence a person can act on), null when not understood.
 */
export function parsePlainWords(input: string): PlainWordsResult | null {
  const text = input.trim().toLowerCase().replace(/\s+/g, " ");
  let m: RegExpExecArray | null;

  const macro = expandCronMacro(text);
  if (macro) return { cron: macro };

  const simple: Record<string, string> = {
    "every second": "* * * * * *",
    "every minute": "* * * * *",
    "every hour": "0 * * * *",
    hourly: "0 * * * *",
    "every day": "0 0 * * *",
    daily: "0 0 * * *",
    "every week": "0 0 * * 0",
    weekly: "0 0 * * 0",
    "every month": "0 0 1 * *",
    monthly: "0 0 1 * *",
    "every year": "0 0 1 1 *",
    yearly: "0 0 1 1 *",
    weekdays: "0 0 * * 1-5",
    weekends: "0 0 * * 0,6",
  };
  if (simple[text]) return { cron: simple[text] };

  if ((m = /^every (\d+) (second|minute|hour)s?$/.exec(text))) return everyN(Number(m[1]), m[2] as "second" | "minute" | "hour");

  if ((m = /^(once|twice|thrice|\w+|\d+) (?:times )?(?:a|an|per|each) (day|hour)$/.exec(text))) {
    const count = /^\d+$/.test(m[1]) ? Number(m[1]) : COUNTS[m[1]];
    if (count === undefined) return null;
    return timesPer(count, m[2] as "day" | "hour");
  }

  if ((m = /^(?:hourly at|every hour at) (?:minute )?:?(\d{1,2})$/.exec(text))) {
    const minute = Number(m[1]);
    return minute <= 59 ? { cron: `${minute} * * * *` } : null;
  }

  // "first Monday of the month", "last friday of every month at 17:00".
  if ((m = /^(?:on )?(?:the )?(first|1st|second|2nd|third|3rd|fourth|4th|last) ([a-z]+) (?:of|in) (?:the|each|every) month(?: at (.+))?$/.exec(text))) {
    const day = DAYS[m[2].replace(/s$/, "")] ?? DAYS[m[2]];
    if (day === undefined) return null;
    const at = m[3] === undefined ? { minute: "0", hour: "0" } : timesToFields(m[3]);
    if (!at) return null;
    if ("refused" in at) return at;
    // cron-parser's `#n` (nth weekday of the month) and `nL` (last one of the month).
    const dow = m[1] === "last" ? `${day}L` : `${day}#${ORDINALS[m[1]]}`;
    return { cron: `${at.minute} ${at.hour} * * ${dow}` };
  }
  if (/^(?:the )?fifth [a-z]+ of/.test(text)) {
    return { refused: "a fifth weekday is missing from most months, so the schedule would skip months silently; use \"last <weekday> of the month\"" };
  }

  if ((m = /^(daily|every day|weekdays|every weekday|weekends|every weekend|[a-z]+|every [a-z]+) at (.+)$/.exec(text))) {
    const at = timesToFields(m[2]);
    if (!at) return null;
    const when = m[1].replace(/^every /, "");
    let dow: string | undefined;
    if (when === "daily" || when === "day") dow = "*";
    else if (when === "weekdays" || when === "weekday") dow = "1-5";
    else if (when === "weekends" || when === "weekend") dow = "0,6";
    else {
      const day = DAYS[when.replace(/s$/, "")] ?? DAYS[when];
      if (day !== undefined) dow = String(day);
    }
    if (dow === undefined) return null;
    if ("refused" in at) return at;
    return { cron: `${at.minute} ${at.hour} * * ${dow}` };
  }
  return null;
}

/** Translates plain words to a cron expression, or null when not understood or refused (see parsePlainWords for why). */
export function plainWordsToCron(input: string): string | null {
  const r = parsePlainWords(input);
  return r && "cron" in r ? r.cron : null;
}
