import { bootState } from "@/lib/boot";
import { AppError } from "@/lib/errors";
import { errorResponse, json, otherMethods, route } from "@/lib/http/route";
import { APP_VERSION } from "@/lib/version";

export const dynamic = "force-dynamic";

/** GET /api/health → 200 once migrated and the scheduler is armed; 503 before. */
export const GET = route(() => {
  const state = bootState();
  if (!state.ready) {
    const message = state.error ?? "Agentcron is still booting; try again in a moment.";
    return errorResponse(new AppError("not_ready", message, { extra: { ok: false, version: APP_VERSION } }));
  }
  return json({ ok: true, version: APP_VERSION, runnerId: state.runnerId });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
