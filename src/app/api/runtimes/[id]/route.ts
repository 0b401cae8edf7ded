import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { runtimePatchSchema } from "@/lib/runtimes/config";
import { deleteRuntime, getRuntime, serializeRuntime, updateRuntime } from "@/lib/runtimes/service";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/runtimes/:id → {runtime}; 404 runtime_not_found. */
export const GET = route<Params>(async (_req, { id }) => json({ runtime: serializeRuntime(await getRuntime(id)) }));

/** PATCH /api/runtimes/:id → 200 {runtime}; 400 invalid_request; 404; 409 runtime_name_taken. */
export const PATCH = route<Params>(async (req, { id }, ctx) => {
  const patch = await readJson(req, runtimePatchSchema);
  return json({ runtime: serializeRuntime(await updateRuntime(id, patch, ctx.clock.now(), ctx.db)) });
});

/** DELETE /api/runtimes/:id → 204; 409 runtime_in_use while schedules use it; 404. */
export const DELETE = route<Params>(async (_req, { id }, ctx) => {
  await deleteRuntime(id, ctx.clock.now(), ctx.db);
  return new Response(null, { status: 204 });
});

export const { POST, PUT } = otherMethods({ GET, PATCH, DELETE });
