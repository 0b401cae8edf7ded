/**
 * zod input of the notification-channel API (API.md v2 "Notifications"; docs/api.md).
 * Client-safe (zod and constants only): Settings → Notifications validates with it too.
 *
 * Config per kind (no secret is ever stored in `config`; it goes to the channel's secret):
 * - webhook `{url, secret?}` — `secret` (16–200 chars) is generated when absent;
 * - slack `{url}` — a Slack-compatible incoming-webhook URL (Slack, Mattermost, Discord's `/slack`);
 * - email `{host, port?, secure?, username?, password?, from, to}` — SMTP; `secure` = implicit
 *   TLS (port 465), otherwise STARTTLS when the server offers it.
 * Outbound URLs must be http: or https:.
 */
import { z } from "zod";
import { NOTIFICATION_CHANNEL_KINDS, NOTIFICATION_EVENTS } from "../db/constants";

export const CHANNEL_NAME_MAX = 100;
export const SECRET_MIN = 16;
export const SECRET_MAX = 200;
export const MAX_EMAIL_RECIPIENTS = 20;

const httpUrl = z
  .string({ error: "must be a URL" })
  .trim()
  .max(2000, "is too long")
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname.length > 0;
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL");

const email = z.string({ error: "must be an email address" }).trim().max(320).email("must be an email address");

export const webhookConfigSchema = z
  .object({
    url: httpUrl,
    secret: z.string({ error: "must be a string" }).min(SECRET_MIN, `must be at least ${SECRET_MIN} characters`).max(SECRET_MAX, `must be at most ${SECRET_MAX} characters`).optional(),
  })
  .strict();

export const slackConfigSchema = z.object({ url: httpUrl }).strict();

export const emailConfigSchema = z
  .object({
    host: z.string({ error: "must be a host name" }).trim().min(1, "must not be empty").max(255),
    port: z.number({ error: "must be a number" }).int().min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").default(587),
    secure: z.boolean({ error: "must be true or false" }).default(false),
    username: z.string({ error: "must be a string" }).max(320).optional(),
    password: z.string({ error: "must be a string" }).max(1000).optional(),
    from: email,
    to: z.array(email, { error: "must be a list of email addresses" }).min(1, "must name at least one recipient").max(MAX_EMAIL_RECIPIENTS),
  })
  .strict();

export const CONFIG_SCHEMAS = { webhook: webhookConfigSchema, slack: slackConfigSchema, email: emailConfigSchema } as const;

const channelEvents = z
  .array(z.enum(NOTIFICATION_EVENTS, { error: `must be among ${NOTIFICATION_EVENTS.join(", ")}` }), { error: "must be a list of events" })
  .max(NOTIFICATION_EVENTS.length)
  .nullable();

const name = z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(CHANNEL_NAME_MAX, `must be at most ${CHANNEL_NAME_MAX} characters`);

export const channelCreateSchema = z
  .object(
    {
      name,
      kind: z.enum(NOTIFICATION_CHANNEL_KINDS, { error: `must be one of ${NOTIFICATION_CHANNEL_KINDS.join(", ")}` }),
      config: z.record(z.string(), z.unknown(), { error: "must be an object" }),
      events: channelEvents.optional(),
      isDefault: z.boolean({ error: "must be true or false" }).optional(),
    },
    { error: "must be a JSON object" },
  )
  .strict();

/**
 * PATCH: any subset. `config` is merged over the stored one (a webhook `secret` or an email
 * `password` left out keeps the stored one); `rotateSecret: true` (webhook) generates a new
 * secret, returned once.
 */
export const channelPatchSchema = z
  .object(
    {
      name: name.optional(),
      config: z.record(z.string(), z.unknown(), { error: "must be an object" }).optional(),
      events: channelEvents.optional(),
      isDefault: z.boolean({ error: "must be true or false" }).optional(),
      rotateSecret: z.boolean({ error: "must be true or false" }).optional(),
    },
    { error: "must be a JSON object" },
  )
  .strict();

export type ChannelCreateInput = z.infer<typeof channelCreateSchema>;
export type ChannelPatchInput = z.infer<typeof channelPatchSchema>;
