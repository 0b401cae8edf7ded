import { getDb } from "@/lib/db/client";
import { json, otherMethods, route } from "@/lib/http/route";
import { getTask } from "@/lib/tasks/queries";
import { serializeTask } from "@/lib/tasks/serialize";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/tasks/:id → {task}; 404 task_not_found. */
export const GET = route<Params>((_req, { id }) => json({ task: serializeTask(getTask(getDb(), id)) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
