import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { runtimeCreateSchema } from "@/lib/runtimes/config";
import { getDb } from "@/lib/db/client";
import { listRuntimesWithRunners } from "@/lib/runtimes/placement";
import { createRuntime, serializeRuntime } from "@/lib/runtimes/service";

export const dynamic = "force-dynamic";

/** GET /api/runtimes → {runtimes} (each with `eligibleRunners`: live runners whose labels fit its pinning). */
export const GET = route(async () => json({ runtimes: await listRuntimesWithRunners(getDb(), Date.now()) }));

/** POST /api/runtimes → 201 {runtime}; 400 invalid_request (bad kind or config); 409 runtime_name_taken. */
export const POST = route(async (req) => {
  const input = await readJson(req, runtimeCreateSchema);
  return json({ runtime: serializeRuntime(await createRuntime(input, Date.now())) }, 201);
});

export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });
