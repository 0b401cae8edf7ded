import { json, otherMethods, route } from "@/lib/http/route";
import { detectRuntimes } from "@/lib/onboarding/detect";

export const dynamic = "force-dynamic";

/** GET /api/onboarding → {checks, offers, found}: agent runtimes this machine can use (no secret values). */
export const GET = route(async () => json(await detectRuntimes()));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
