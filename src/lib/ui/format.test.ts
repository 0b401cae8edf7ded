import { describe, expect, it } from "vitest";
import { formatDateTime, formatTime, relativeTime, zoneAbbreviation } from "./format";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

describe("time display", () => {
  it("never says a past event is in the future when the browser clock is behind the server's", () => {
    const tenSecondsAhead = new Date(NOW + 10_000).toISOString();
    expect(relativeTime(tenSecondsAhead, NOW)).toBe("in 10 seconds");
    expect(relativeTime(tenSecondsAhead, NOW, { past: true })).toBe("now");
    expect(relativeTime(new Date(NOW - 120_000).toISOString(), NOW, { past: true })).toBe("2 minutes ago");
    expect(relativeTime(null, NOW)).toBe("—");
  });

  it("shows every time with its zone", () => {
    const iso = new Date(NOW).toISOString();
    expect(formatDateTime(iso, "UTC")).toBe("1 Jun 2026, 12:00:00 UTC");
    expect(formatDateTime(iso, "Asia/Kolkata")).toBe("1 Jun 2026, 17:30:00 GMT+5:30");
    expect(formatDateTime(iso, "Europe/Paris")).toBe("1 Jun 2026, 14:00:00 CEST");
    expect(formatTime(iso, "UTC")).toBe("12:00:00 UTC");
    expect(zoneAbbreviation("Asia/Kolkata", NOW)).toBe("GMT+5:30");
  });
});
