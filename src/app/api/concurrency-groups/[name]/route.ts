import { z } from "zod";
import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { concurrencyGroupCapSchema, concurrencyGroupName } from "@/lib/concurrency-groups/fields";
import { removeConcurrencyGroupCap, setConcurrencyGroupCap } from "@/lib/concurrency-groups/service";
import { parseWith } from "@/lib/validation";

export const dynamic = "force-dynamic";
type Params = { name: string };

/** The `:name` segment, validated like a schedule's `concurrencyGroup` (400 `fields.name`). */
const groupName = (name: string) => parseWith(z.object({ name: concurrencyGroupName }), { name }).name;

/** PUT /api/concurrency-groups/:name {maxConcurrent} → 200 {group}; 400 invalid_request. */
export const PUT = route<Params>(async (req, { name }, ctx) => {
  const group = groupName(name);
  const { maxConcurrent } = await readJson(req, concurrencyGroupCapSchema);
  return json({ group: await setConcurrencyGroupCap(ctx.db, group, maxConcurrent, ctx.clock.now()) });
});

/** DELETE /api/concurrency-groups/:name → 204 (the group's cap is removed; 204 also when it had none). */
export const DELETE = route<Params>(async (_req, { name }, ctx) => {
  await removeConcurrencyGroupCap(ctx.db, groupName(name));
  return new Response(null, { status: 204 });
});

export const { GET, POST, PATCH } = otherMethods({ PUT, DELETE });
