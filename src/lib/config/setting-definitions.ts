/**
 * The global settings (API.md "Settings"): each a positive integer with a default, an
 * upper bound and the environment variable that pins it (precedence environment >
 * stored setting > default). A leaf, so env.ts (which validates the variables) and
 * settings.ts (which stores and serves the values) read the same bounds.
 */
export const SETTING_DEFINITIONS = {
  /** Slots: tasks running at once across the process (the cap). */
  maxConcurrent: { env: "SCHEDULE_MAX_CONCURRENT", default: 2, max: 1000 },
  /** Default lease length per task, in seconds (a schedule's maxRunDurationSec overrides it). */
  maxRunDurationSec: { env: "SCHEDULE_MAX_RUN_DURATION_SEC", default: 1200, max: 7 * 24 * 3600 },
  /** How long scheduled starts are held while a chat reply streams, in seconds (chat pressure). */
  chatPressureDelaySec: { env: "SCHEDULE_CHAT_PRESSURE_DELAY_SEC", default: 30, max: 24 * 3600 },
} as const;

export type SettingKey = keyof typeof SETTING_DEFINITIONS;
export type Settings = Record<SettingKey, number>;
export const SETTING_KEYS = Object.keys(SETTING_DEFINITIONS) as SettingKey[];
