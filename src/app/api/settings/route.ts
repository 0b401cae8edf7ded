import { getSettingsView, settingsPatchSchema, updateSettings } from "@/lib/config/settings";
import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { pokeScheduler } from "@/lib/scheduler/control";

export const dynamic = "force-dynamic";

/** GET /api/settings → effective settings (env > stored > default) and the env-locked keys. */
export const GET = route(async () => json(await getSettingsView()));

/** PATCH /api/settings → 200 with the new effective values; 400 on non-positive integers. */
export const PATCH = route(async (req) => {
  const patch = await readJson(req, settingsPatchSchema);
  const view = await updateSettings(patch, Date.now());
  pokeScheduler("settings_changed");
  return json(view);
});

export const { POST, PUT, DELETE } = otherMethods({ GET, PATCH });
