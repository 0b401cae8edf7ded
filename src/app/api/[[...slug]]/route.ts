import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** `/api` itself and unknown /api routes answer 404 JSON (API.md), whatever the method. */
function notFound(req: Request): Response {
  return errorResponse(new AppError("not_found", `No API route ${req.method} ${new URL(req.url).pathname}.`));
}

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
