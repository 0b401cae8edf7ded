import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { channelPatchSchema } from "@/lib/notifications/channel-input";
import { deleteChannel, getChannel, serializeChannel, updateChannel } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/notification-channels/:id → {channel}; 404 notification_channel_not_found. */
export const GET = route<Params>(async (_req, { id }) => json({ channel: serializeChannel(await getChannel(id)) }));

/** PATCH /api/notification-channels/:id → 200 {channel} (a rotated/new secret shown once); 400; 404; 409. */
export const PATCH = route<Params>(async (req, { id }, ctx) => {
  const patch = await readJson(req, channelPatchSchema);
  const { channel, shownSecret } = await updateChannel(id, patch, ctx.clock.now(), ctx.db);
  return json({ channel: serializeChannel(channel, shownSecret) });
});

/** DELETE /api/notification-channels/:id → 204; 404. */
export const DELETE = route<Params>(async (_req, { id }) => {
  await deleteChannel(id);
  return new Response(null, { status: 204 });
});

export const { POST, PUT } = otherMethods({ GET, PATCH, DELETE });
