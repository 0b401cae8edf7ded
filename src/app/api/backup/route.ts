import { z } from "zod";
import { createBackup } from "@/lib/backup/backup";
import { resolveDataDir } from "@/lib/db/client";
import { json, otherMethods, readJson, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** The body: nothing (or `{}`). A path is never taken from the network (ADR 0018): the file goes to `<dataDir>/backups/`. */
const backupBody = z
  .object({
    path: z.never({ error: "is not accepted: backups go to the data directory's backups/ folder (npm run backup <path> writes elsewhere)" }).optional(),
  })
  .strict();

/** POST /api/backup → 201 `{path, bytes}`: a consistent snapshot of the live SQLite database; 409 `backup_unsupported` on PostgreSQL. */
export const POST = route(async (req, _params, ctx) => {
  const hasBody = Number(req.headers.get("content-length") ?? 0) > 0 || req.headers.has("transfer-encoding") || req.headers.has("content-type");
  if (hasBody) await readJson(req, backupBody);
  const { db } = ctx;
  return json(await createBackup(db, { dataDir: db.$dialect === "sqlite" ? resolveDataDir() : "", now: ctx.clock.now() }), 201);
});

export const { GET, PUT, PATCH, DELETE } = otherMethods({ POST });
