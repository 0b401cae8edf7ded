import { beforeEach, describe, expect, it } from "vitest";
import { GET as calibration } from "@/app/api/schedules/calibration/route";
import { getDb } from "@/lib/db/client";
import { callRoute } from "../../../test/http";
import { makeRuntime, makeSchedule, truncateAll } from "../../../test/factories";
import { turnCalibration } from "./calibration";

describe("turnCalibration", () => {
  beforeEach(async () => truncateAll());

  it("is the median avgTurnsPerFiring of schedules on the same runtime, ignoring ones that never fired", async () => {
    const a = await makeRuntime();
    const b = await makeRuntime();
    for (const avg of [10, 40, 300]) await makeSchedule({ runtimeId: a.id, avgTurnsPerFiring: avg });
    await makeSchedule({ runtimeId: a.id, avgTurnsPerFiring: null });
    await makeSchedule({ runtimeId: b.id, avgTurnsPerFiring: 900 });
    expect(await turnCalibration(getDb(), a.id)).toEqual({ runtimeId: a.id, medianAvgTurns: 40, sampleSize: 3 });
    await makeSchedule({ runtimeId: a.id, avgTurnsPerFiring: 60.4 });
    expect((await turnCalibration(getDb(), a.id)).medianAvgTurns).toBe(50); // (40 + 60.4) / 2 rounded
  });

  it("leaves out the schedule being edited and answers null when nothing is known", async () => {
    const r = await makeRuntime();
    const only = await makeSchedule({ runtimeId: r.id, avgTurnsPerFiring: 77 });
    expect(await turnCalibration(getDb(), r.id, only.id)).toEqual({ runtimeId: r.id, medianAvgTurns: null, sampleSize: 0 });
  });

  it("treats the default runtime as schedules without a runtime plus those naming the default", async () => {
    const def = await makeRuntime({ isDefault: true });
    const other = await makeRuntime();
    await makeSchedule({ runtimeId: null, avgTurnsPerFiring: 20 });
    await makeSchedule({ runtimeId: def.id, avgTurnsPerFiring: 30 });
    await makeSchedule({ runtimeId: other.id, avgTurnsPerFiring: 1000 });
    expect(await turnCalibration(getDb(), null)).toMatchObject({ medianAvgTurns: 25, sampleSize: 2 });
    expect(await turnCalibration(getDb(), def.id)).toMatchObject({ medianAvgTurns: 25, sampleSize: 2 });
  });

  it("is served by GET /api/schedules/calibration", async () => {
    const r = await makeRuntime();
    const s = await makeSchedule({ runtimeId: r.id, avgTurnsPerFiring: 12 });
    await makeSchedule({ runtimeId: r.id, avgTurnsPerFiring: 14 });
    const res = await callRoute(calibration, `/api/schedules/calibration?runtimeId=${r.id}`);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ runtimeId: r.id, medianAvgTurns: 13, sampleSize: 2 });
    const excl = await callRoute(calibration, `/api/schedules/calibration?runtimeId=${r.id}&excludeScheduleId=${s.id}`);
    expect(excl.data).toMatchObject({ medianAvgTurns: 14, sampleSize: 1 });
    const def = await callRoute(calibration, `/api/schedules/calibration`);
    expect(def.data).toEqual({ runtimeId: null, medianAvgTurns: null, sampleSize: 0 });
  });
});
