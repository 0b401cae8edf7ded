/**
 * The notification-channel API (API.md v2 "Notifications"; docs/api.md) through the route
 * handlers: create/list/edit/delete, secrets shown once and never again, URL schemes, the
 * error shape, Send test → 202 and the delivery on GET /:id/deliveries, and the schedule fields.
 */
import { describe, expect, it } from "vitest";
import { GET as listRoute, POST as createRoute } from "@/app/api/notification-channels/route";
import { DELETE as deleteRoute, GET as getRoute, PATCH as patchRoute } from "@/app/api/notification-channels/[id]/route";
import { POST as testRoute } from "@/app/api/notification-channels/[id]/test/route";
import { GET as deliveriesRoute } from "@/app/api/notification-channels/[id]/deliveries/route";
import { POST as createScheduleRoute } from "@/app/api/schedules/route";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { PATCH as patchScheduleRoute } from "@/app/api/schedules/[id]/route";
import { getDb } from "@/lib/db/client";
import { deliverDue } from "@/lib/notifications/sender";
import { makeRuntime } from "../factories";
import { callRoute } from "../http";
import { notificationSlateForFile } from "./helpers";

const slate = notificationSlateForFile();

const create = (json: unknown) => callRoute(createRoute, "/api/notification-channels", { method: "POST", json });

describe("channels", () => {
  it("a webhook gets a generated secret shown once; no later answer carries it", async () => {
    const res = await create({ name: "ops hook", kind: "webhook", config: { url: slate.receiver.url } });
    expect(res.status).toBe(201);
    const { channel } = res.data;
    expect(channel).toMatchObject({ name: "ops hook", kind: "webhook", config: { url: slate.receiver.url }, events: null, isDefault: false, hasSecret: true });
    expect(channel.secret).toMatch(/^whsec_[0-9a-f]{64}$/);

    const list = await callRoute(listRoute, "/api/notification-channels");
    const one = await callRoute(getRoute, `/api/notification-channels/${channel.id}`, { params: { id: channel.id } });
    const renamed = await callRoute(patchRoute, `/api/notification-channels/${channel.id}`, { method: "PATCH", json: { name: "renamed" }, params: { id: channel.id } });
    for (const r of [list, one, renamed]) {
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(channel.secret);
      expect(r.text).not.toContain('"secret"');
    }
    expect(list.data.channels).toHaveLength(1);

    const rotated = await callRoute(patchRoute, `/api/notification-channels/${channel.id}`, { method: "PATCH", json: { rotateSecret: true }, params: { id: channel.id } });
    expect(rotated.status).toBe(200);
    expect(rotated.data.channel.secret).toMatch(/^whsec_/);
    expect(rotated.data.channel.secret).not.toBe(channel.secret);
  });

  it("an email password and a Slack URL never come back", async () => {
    const mail = await create({ name: "mail", kind: "email", config: { host: "smtp.example.test", username: "u", password: "pa55-word-secret", from: "a@example.test", to: ["b@example.test"] } });
    expect(mail.status).toBe(201);
    expect(mail.text).not.toContain("pa55-word-secret");
    expect(mail.data.channel).toMatchObject({ hasSecret: true, config: { host: "smtp.example.test", port: 587, secure: false, username: "u" } });
    const slack = await create({ name: "slack", kind: "slack", config: { url: "https://hooks.slack.com/services/T1/B2/tokenXYZ" } });
    expect(slack.status).toBe(201);
    expect(slack.text).not.toContain("tokenXYZ");
    expect(slack.data.channel.config.url).toBe("https://hooks.slack.com/…");
    // Editing another config field keeps the stored password / URL.
    const id = mail.data.channel.id;
    const edited = await callRoute(patchRoute, `/api/notification-channels/${id}`, { method: "PATCH", json: { config: { port: 2525 } }, params: { id } });
    expect(edited.status).toBe(200);
    expect(edited.data.channel).toMatchObject({ hasSecret: true, config: { port: 2525 } });
  });

  it("bad input is a 400 in the error shape naming the field, and nothing is written", async () => {
    const cases: [unknown, string][] = [
      [{ name: "x", kind: "webhook", config: { url: "ftp://example.test/hook" } }, "config.url"],
      [{ name: "x", kind: "webhook", config: { url: "javascript:alert(1)" } }, "config.url"],
      [{ name: "x", kind: "webhook", config: { url: "not a url" } }, "config.url"],
      [{ name: "x", kind: "webhook", config: { url: "https://example.test", secret: "short" } }, "config.secret"],
      [{ name: "x", kind: "pager", config: {} }, "kind"],
      [{ name: "", kind: "slack", config: { url: "https://example.test" } }, "name"],
      [{ name: "x", kind: "email", config: { host: "h", from: "nope", to: [] } }, "config.from"],
      [{ name: "x", kind: "slack", config: { url: "https://example.test" }, events: ["everything"] }, "events.0"],
    ];
    for (const [json, field] of cases) {
      const res = await create(json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.data).toMatchObject({ error: "invalid_request", message: expect.any(String) });
      expect(Object.keys(res.data.fields)).toContain(field);
    }
    expect((await callRoute(listRoute, "/api/notification-channels")).data.channels).toEqual([]);
  });

  it("a taken name is 409; an unknown id is 404; DELETE is 204", async () => {
    const a = await create({ name: "dup", kind: "slack", config: { url: "https://example.test/a" } });
    expect((await create({ name: "dup", kind: "slack", config: { url: "https://example.test/b" } })).data).toMatchObject({ error: "notification_channel_name_taken", fields: { name: "is already used" } });
    const missing = await callRoute(getRoute, "/api/notification-channels/nope", { params: { id: "nope" } });
    expect(missing.status).toBe(404);
    expect(missing.data.error).toBe("notification_channel_not_found");
    const id = a.data.channel.id;
    expect((await callRoute(deleteRoute, `/api/notification-channels/${id}`, { method: "DELETE", params: { id } })).status).toBe(204);
    expect((await callRoute(deleteRoute, `/api/notification-channels/${id}`, { method: "DELETE", params: { id } })).status).toBe(404);
  });

  it("Send test → 202; the delivery shows on GET /:id/deliveries with its status, response code and attempts", async () => {
    const { channel } = (await create({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } })).data;
    const sent = await callRoute(testRoute, `/api/notification-channels/${channel.id}/test`, { method: "POST", params: { id: channel.id } });
    expect(sent.status).toBe(202);
    const before = await callRoute(deliveriesRoute, `/api/notification-channels/${channel.id}/deliveries`, { params: { id: channel.id } });
    expect(before.data.deliveries).toMatchObject([{ id: sent.data.deliveryId, event: "test", status: "pending", attempts: 0, responseStatus: null, deliveredAt: null }]);

    await deliverDue(getDb(), "api-test", () => Date.now());
    expect(slate.receiver.requests).toHaveLength(1);
    expect(slate.receiver.requests[0].json).toMatchObject({ type: "test", schedule: null, detail: { message: 'Test notification for channel "hook" from Agentcron.' } });
    const after = await callRoute(deliveriesRoute, `/api/notification-channels/${channel.id}/deliveries?limit=5`, { params: { id: channel.id } });
    expect(after.status).toBe(200);
    expect(after.data.deliveries).toMatchObject([{ status: "delivered", attempts: 1, responseStatus: 200, attemptLog: [{ attempt: 1, ok: true, responseStatus: 200 }] }]);
    expect(after.data.deliveries[0].deliveredAt).toEqual(expect.any(String));
    const bad = await callRoute(deliveriesRoute, `/api/notification-channels/${channel.id}/deliveries?limit=0`, { params: { id: channel.id } });
    expect(bad.status).toBe(400);

    const metrics = await callRoute(metricsRoute, "/api/metrics");
    expect(metrics.text).toContain('agentcron_notification_deliveries{status="delivered"} 1');
    expect(metrics.text).toContain('agentcron_notification_deliveries{status="pending"} 0');
    expect(metrics.text).toContain('agentcron_notification_attempts_total{outcome="ok"} 1');
  });
});

describe("schedule fields", () => {
  it("notificationChannelIds, notifyOn and quietResultMarker round-trip; unknown channels and events are 400", async () => {
    await makeRuntime({ isDefault: true });
    const { channel } = (await create({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } })).data;
    const base = { name: "nightly", prompt: "check", cronExpression: "0 3 * * *" };
    const created = await callRoute(createScheduleRoute, "/api/schedules", { method: "POST", json: base });
    expect(created.status).toBe(201);
    expect(created.data.schedule).toMatchObject({ notificationChannelIds: null, notifyOn: null, quietResultMarker: null });

    const id = created.data.schedule.id;
    const patched = await callRoute(patchScheduleRoute, `/api/schedules/${id}`, {
      method: "PATCH",
      json: { notificationChannelIds: [channel.id], notifyOn: ["task_failed", "task_succeeded"], quietResultMarker: "NO_FINDINGS" },
      params: { id },
    });
    expect(patched.status).toBe(200);
    expect(patched.data.schedule).toMatchObject({ notificationChannelIds: [channel.id], notifyOn: ["task_failed", "task_succeeded"], quietResultMarker: "NO_FINDINGS" });

    const unknown = await callRoute(patchScheduleRoute, `/api/schedules/${id}`, { method: "PATCH", json: { notificationChannelIds: ["nope"] }, params: { id } });
    expect(unknown.status).toBe(400);
    expect(unknown.data.fields).toEqual({ notificationChannelIds: "unknown channel nope" });
    const badEvent = await callRoute(createScheduleRoute, "/api/schedules", { method: "POST", json: { ...base, name: "other", notifyOn: ["sometimes"] } });
    expect(badEvent.status).toBe(400);
    expect(Object.keys(badEvent.data.fields)).toEqual(["notifyOn.0"]);

    const cleared = await callRoute(patchScheduleRoute, `/api/schedules/${id}`, { method: "PATCH", json: { notificationChannelIds: null, quietResultMarker: "" }, params: { id } });
    expect(cleared.data.schedule).toMatchObject({ notificationChannelIds: null, notifyOn: ["task_failed", "task_succeeded"], quietResultMarker: null });
  });
});
