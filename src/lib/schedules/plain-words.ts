/**
 * Plain-words schedules → cron. No maintained library covers this (the npm candidates
 * are unmaintained and target node-cron's dialect), so this is a small table of
 * patterns, each tested in plain-words.test.ts. Case-insensitive; returns null when
 * nothing matches so the caller can report the field.
 *
 * Supported: "every N seconds|minutes|hours", "every minute|hour|day|week|month",
 * "hourly", "daily", "weekly", "monthly", "daily at HH:MM", "every day at HH:MM",
 * "weekdays at HH:MM", "weekends at HH:MM", "every <weekday> at HH:MM",
 * "hourly at :MM" / "every hour at minute MM"; times accept "9", "9:30", "9am", "6:30 pm".
 */

const DAYS: Record<string, number> = {
  sunday: 0, sun: 0, monday: 1, mon: 1, tuesday: 2, tue: 2, tues: 2, wednesday: 3, wed: 3,
  thursday: 4, thu: 4, thur: 4, thurs: 4, friday: 5, fri: 5, saturday: 6, sat: 6,
};

/** "9", "09:30", "9am", "6:30 pm", "18:30" → [hour, minute], or null. */
function parseTime(text: string): [number, number] | null {
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/.exec(text.trim());
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

/** Translates plain words to a cron expression, or null when the words are not understood. */
export function plainWordsToCron(input: string): string | null {
  const text = input.trim().toLowerCase().replace(/\s+/g, " ");
  let m: RegExpExecArray | null;

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
    weekdays: "0 0 * * 1-5",
    weekends: "0 0 * * 0,6",
  };
  if (simple[text]) return simple[text];

  if ((m = /^every (\d+) (second|minute|hour)s?$/.exec(text))) {
    const n = Number(m[1]);
    const unit = m[2];
    if (unit === "second" && n >= 1 && n <= 59) return n === 1 ? "* * * * * *" : `*/${n} * * * * *`;
    if (unit === "minute" && n >= 1 && n <= 59) return n === 1 ? "* * * * *" : `*/${n} * * * *`;
    if (unit === "hour" && n >= 1 && n <= 23) return n === 1 ? "0 * * * *" : `0 */${n} * * *`;
    return null;
  }

  if ((m = /^(?:hourly at|every hour at) (?:minute )?:?(\d{1,2})$/.exec(text))) {
    const minute = Number(m[1]);
    return minute <= 59 ? `${minute} * * * *` : null;
  }

  if ((m = /^(daily|every day|weekdays|every weekday|weekends|every weekend|[a-z]+|every [a-z]+) at (.+)$/.exec(text))) {
    const time = parseTime(m[2]);
    if (!time) return null;
    const [hour, minute] = time;
    const when = m[1].replace(/^every /, "");
    if (when === "daily" || when === "day") return `${minute} ${hour} * * *`;
    if (when === "weekdays" || when === "weekday") return `${minute} ${hour} * * 1-5`;
    if (when === "weekends" || when === "weekend") return `${minute} ${hour} * * 0,6`;
    const day = DAYS[when.replace(/s$/, "")] ?? DAYS[when];
    if (day !== undefined) return `${minute} ${hour} * * ${day}`;
    return null;
  }
  return null;
}
