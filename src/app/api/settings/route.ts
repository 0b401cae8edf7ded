import { getSettingsView, settingsPatchSchema, updateSettings } from "@/lib/config/settings";
import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { getKeepSettings, KEEP_SETTINGS_FIELDS, updateKeepSettings } from "@/lib/retention/keep-settings";
import { pokeScheduler } from "@/lib/scheduler/control";

export const dynamic = "force-dynamic";

/** GET /api/settings → effective settings (env > stored > default), the env-locked keys, `retention` and `backup`. */
export const GET = route(async () => json({ ...(await getSettingsView()), ...(await getKeepSettings()) }));

/** PATCH /api/settings → 200 with the new effective values; 400 on non-positive integers. */
export const PATCH = route(async (req, _params, ctx) => {
  const { retention, backup, ...patch } = await readJson(req, settingsPatchSchema.extend(KEEP_SETTINGS_FIELDS));
  const keep = await updateKeepSettings({ retention, backup }, ctx.clock.now(), ctx.db);
  const view = await updateSettings(patch, ctx.clock.now(), ctx.db);
  pokeScheduler("settings_changed");
  return json({ ...view, ...keep });
});

export const { POST, PUT, DELETE } = otherMethods({ GET, PATCH });
