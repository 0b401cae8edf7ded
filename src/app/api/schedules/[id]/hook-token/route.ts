import { json, otherMethods, route } from "@/lib/http/route";
import { revokeHookToken, rotateHookToken } from "@/lib/triggers/hook-token";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** POST /api/schedules/:id/hook-token → 201 {token} (shown once; the previous token stops working); 404 schedule_not_found. */
export const POST = route<Params>(async (_req, { id }, ctx) => json({ token: await rotateHookToken(ctx.db, id, ctx.clock.now()) }, 201));

/** DELETE /api/schedules/:id/hook-token → 204 (the fire URL answers 401 from now on); 404 schedule_not_found. */
export const DELETE = route<Params>(async (_req, { id }, ctx) => {
  await revokeHookToken(ctx.db, id, ctx.clock.now());
  return new Response(null, { status: 204 });
});

export const { GET, HEAD, PUT, PATCH } = otherMethods({ POST, DELETE });
