import { beforeEach, describe, expect, it } from "vitest";
import { GET as preview } from "@/app/api/schedules/preview/route";
import { POST as create } from "@/app/api/schedules/route";
import { callRoute } from "./http";
import { makeRuntime, truncateAll } from "./factories";

const base = { name: "Words", prompt: "p", timezone: "UTC" };

describe("plain words through the schedules API (issue #12 item 9)", () => {
  beforeEach(async () => {
    await truncateAll();
    await makeRuntime({ isDefault: true });
  });

  it("refuses a step that doesn't divide the hour with the reason, and saves nothing", async () => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...base, schedule: "every 7 minutes" } });
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(res.data.fields.schedule).toMatch(/4 minutes from :56 to :00/);
    const p = await callRoute(preview, "/api/schedules/preview?schedule=every%2090%20minutes&timezone=UTC");
    expect(p.status).toBe(400);
    expect(p.data.fields.schedule).toMatch(/repeat only every 3 hours/);
  });

  it("saves what people type as the cron it really is", async () => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...base, schedule: "every weekday at 8:30 and 17:30" } });
    expect(res.status).toBe(201);
    expect(res.data.schedule.cronExpression).toBe("30 8,17 * * 1-5");
    expect(res.data.schedule.description).toBe("At 08:30 and 17:30, Monday through Friday");
    const macro = await callRoute(create, "/api/schedules", { method: "POST", json: { ...base, name: "Macro", cronExpression: "@weekly" } });
    expect(macro.status).toBe(201);
    expect(macro.data.schedule.cronExpression).toBe("0 0 * * 0");
    const p = await callRoute(preview, "/api/schedules/preview?schedule=first%20monday%20of%20the%20month%20at%209:00&timezone=UTC&count=2");
    expect(p.status).toBe(200);
    expect(p.data).toMatchObject({ cronExpression: "0 9 * * 1#1", description: "At 09:00, on the first Monday of the month" });
  });

  it("describes an existing uneven step truthfully", async () => {
    const p = await callRoute(preview, "/api/schedules/preview?cronExpression=*/7%20*%20*%20*%20*&timezone=UTC");
    expect(p.status).toBe(200);
    expect(p.data.description).toMatch(/^At 0, 7, 14.*56 minutes past the hour \(7 minutes apart, then 4 minutes from :56 to :00\)$/);
  });
});
