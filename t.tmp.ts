import { computeForecast } from "./src/lib/forecast/forecast";
const now = Date.UTC(2026, 11, 2, 0, 0, 30);
const mk = (name: string, cron: string, d: number, p: any = "skip") => ({ id: name, name, cronExpression: cron, timezone: "UTC", overlapPolicy: p, expectedDurationMs: d });
const many = Array.from({ length: 1000 }, (_, i) => mk("x" + i, `${i % 60} ${i % 24} * * *`, 60000 * (1 + (i % 20))));
for (let rep = 0; rep < 6; rep++) {
  let t0 = performance.now();
  const r = computeForecast({ now, hours: 24, cap: 1000, schedules: many });
  let t1 = performance.now();
  const r2 = computeForecast({ now, hours: 24, cap: 2, schedules: many });
  let t2 = performance.now();
  console.log("no-overload", (t1 - t0).toFixed(1), "cap2", (t2 - t1).toFixed(1), r2.overloads.length, r2.overloads.filter(o=>o.stagger.length).length, r2.overloads[5].suggestion);
}
