import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { runtimeCreateSchema } from "@/lib/runtimes/config";
import { listRuntimesWithRunners } from "@/lib/runtimes/placement";
import { createRuntime, serializeRuntime } from "@/lib/runtimes/service";

export const dynamic = "force-dynamic";

/** GET /api/runtimes → {runtimes} (each with `eligibleRunners`: live runners whose labels fit its pinning). */
export const GET = route(async (_req, _params, ctx) => json({ runtimes: await listRuntimesWithRunners(ctx.db, ctx.clock.now()) }));

/** POST /api/runtimes → 201 {runtime}; 400 invalid_request (bad kind or config); 409 runtime_name_taken. */
export const POST = route(async (req, _params, ctx) => {
  const input = await readJson(req, runtimeCreateSchema);
  return json({ runtime: serializeRuntime(await createRuntime(input, ctx.clock.now(), ctx.db)) }, 201);
});

export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });
