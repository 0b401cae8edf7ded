import { json } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** `/api` itself and unknown /api routes answer 404 JSON (API.md), whatever the method. */
function notFound(req: Request): Response {
  return json({ error: "not_found", message: `No API route ${req.method} ${new URL(req.url).pathname}.` }, 404);
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
