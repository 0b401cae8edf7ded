/**
 * IANA timezone names for pickers: canonical names (Asia/Kolkata, not the ICU legacy
 * Asia/Calcutta that Intl.supportedValuesOf still returns in some ICU builds), each with
 * its current UTC offset, searchable by name, city or offset. Pure; no React.
 */

/**
 * ICU's canonical ids that IANA has since renamed (ICU keeps the old id as canonical for
 * stability; CLDR "iana" aliases). Node 20's ICU returns every key here from
 * Intl.supportedValuesOf("timeZone").
 */
const ICU_LEGACY_TO_IANA: Record<string, string> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

/** The current IANA name for a zone id ("Asia/Calcutta" → "Asia/Kolkata"); other ids unchanged. */
export function canonicalTimezone(name: string): string {
  return ICU_LEGACY_TO_IANA[name] ?? name;
}

/** One zone in a picker: its IANA name, its offset now ("UTC+05:30") and offset minutes for sorting. */
export interface TimezoneOption {
  name: string;
  offset: string;
  offsetMinutes: number;
}

/**
 * The UTC offset of `timeZone` at instant `at` (UTC ms), in minutes east of UTC.
 * @throws RangeError for a name this runtime doesn't know.
 */
export function offsetMinutes(timeZone: string, at: number): number {
  const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(new Date(at))
    .find((p) => p.type === "timeZoneName")?.value;
  // "GMT" for zero, else "GMT+05:30" / "GMT-03:00".
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(part ?? "");
  if (!m) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** "UTC", "UTC+05:30", "UTC-03:00" for an offset in minutes. */
export function formatOffset(minutes: number): string {
  if (minutes === 0) return "UTC";
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * Every zone this runtime knows, canonical names only, deduplicated, "UTC" first, with
 * offsets as of `at` (UTC ms; offsets move with DST, so the picker shows today's).
 * `extra` names (e.g. a schedule's stored zone) are included even when not listed.
 */
export function timezoneOptions(at: number, extra: string[] = [], supported: readonly string[] = Intl.supportedValuesOf("timeZone")): TimezoneOption[] {
  const names = new Set<string>(["UTC"]);
  for (const n of [...supported, ...extra]) if (n) names.add(canonicalTimezone(n));
  const out: TimezoneOption[] = [];
  for (const name of names) {
    try {
      const mins = offsetMinutes(name, at);
      out.push({ name, offset: formatOffset(mins), offsetMinutes: mins });
    } catch {
      // A name this runtime can't evaluate is not offered.
    }
  }
  return out;
}

/**
 * The options matching a search: every word of `query` must occur in the name (with
 * "_" and "/" read as spaces) or the offset; "kolkata", "new york", "+05:30", "utc+1" all work.
 * A legacy name ("calcutta") finds its canonical zone. Empty query: all options.
 */
export function searchTimezones(options: TimezoneOption[], query: string): TimezoneOption[] {
  const words = query.toLowerCase().trim().split(/\s+/).filter(Boolean);
  if (!words.length) return options;
  const legacy = Object.entries(ICU_LEGACY_TO_IANA);
  return options.filter((o) => {
    const aliases = legacy.filter(([, to]) => to === o.name).map(([from]) => from);
    const hay = [o.name, ...aliases, o.offset].join(" ").toLowerCase().replace(/[_/]/g, " ");
    const compactOffset = o.offset.toLowerCase().replace(/:00$/, "").replace(/([+-])0/, "$1");
    return words.every((w) => hay.includes(w.replace(/[_/]/g, " ")) || compactOffset === w || compactOffset.includes(w));
  });
}

/** The viewer's own zone (canonical), "UTC" when the browser doesn't say. */
export function viewerTimezone(): string {
  return canonicalTimezone(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
}
