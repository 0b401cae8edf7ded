import { describe, expect, it } from "vitest";
import { canonicalTimezone, formatOffset, offsetMinutes, searchTimezones, timezoneOptions } from "./timezones";

const JAN = Date.UTC(2026, 0, 15);
const JUL = Date.UTC(2026, 6, 15);

describe("timezone options", () => {
  it("offers canonical IANA names only: Asia/Kolkata, never Asia/Calcutta, each once, UTC first", () => {
    const opts = timezoneOptions(JAN);
    const names = opts.map((o) => o.name);
    expect(names[0]).toBe("UTC");
    expect(names).toContain("Asia/Kolkata");
    expect(names).toContain("Europe/Kyiv");
    expect(names).toContain("America/Argentina/Buenos_Aires");
    for (const legacy of ["Asia/Calcutta", "Europe/Kiev", "Asia/Saigon", "America/Buenos_Aires", "America/Godthab"]) expect(names).not.toContain(legacy);
    expect(new Set(names).size).toBe(names.length);
  });

  it("canonicalizes legacy names even when the ICU list gives them, and keeps a stored extra zone", () => {
    const opts = timezoneOptions(JAN, ["Asia/Calcutta"], ["Asia/Calcutta", "Europe/Paris"]);
    expect(opts.map((o) => o.name)).toEqual(["UTC", "Asia/Kolkata", "Europe/Paris"]);
    expect(canonicalTimezone("Asia/Calcutta")).toBe("Asia/Kolkata");
    expect(canonicalTimezone("Europe/Paris")).toBe("Europe/Paris");
  });

  it("shows today's offset (DST moves it)", () => {
    expect(offsetMinutes("Asia/Kolkata", JAN)).toBe(330);
    expect(offsetMinutes("Europe/Paris", JAN)).toBe(60);
    expect(offsetMinutes("Europe/Paris", JUL)).toBe(120);
    expect(offsetMinutes("America/New_York", JAN)).toBe(-300);
    expect(formatOffset(330)).toBe("UTC+05:30");
    expect(formatOffset(-300)).toBe("UTC-05:00");
    expect(formatOffset(0)).toBe("UTC");
    expect(timezoneOptions(JUL).find((o) => o.name === "Europe/Paris")?.offset).toBe("UTC+02:00");
  });

  it("searches by city, words, legacy name and offset", () => {
    const opts = timezoneOptions(JAN);
    expect(searchTimezones(opts, "kolkata").map((o) => o.name)).toEqual(["Asia/Kolkata"]);
    expect(searchTimezones(opts, "calcutta").map((o) => o.name)).toEqual(["Asia/Kolkata"]);
    expect(searchTimezones(opts, "new york").map((o) => o.name)).toEqual(["America/New_York"]);
    expect(searchTimezones(opts, "+05:30").map((o) => o.name)).toContain("Asia/Kolkata");
    expect(searchTimezones(opts, "utc+1").map((o) => o.name)).toContain("Europe/Paris");
    expect(searchTimezones(opts, "")).toHaveLength(opts.length);
    expect(searchTimezones(opts, "no such place")).toEqual([]);
  });
});
