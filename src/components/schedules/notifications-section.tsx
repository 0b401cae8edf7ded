"use client";

import { useQuery } from "@tanstack/react-query";
import { ChevronRight } from "lucide-react";
import { useState } from "react";
import { useFormContext, useWatch } from "react-hook-form";
import { z } from "zod";
import { Checkbox } from "@/components/ui/checkbox";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import type { NotificationChannelDto, ScheduleDto } from "@/lib/api-types";
import { DEFAULT_NOTIFY_ON, NOTIFICATION_EVENTS, type NotificationEvent } from "@/lib/db/constants";
import { QUIET_MARKER_MAX } from "@/lib/notifications/schedule-fields";
import { apiFetch } from "@/lib/ui/api-client";
import { NOTIFICATION_EVENT_WORDS } from "@/components/settings/notification-words";

/**
 * The schedule sheet's "Notifications" part (issue 11 item 2): which channels (the default
 * ones, or a chosen set), which events (the defaults, or a chosen set) and the quiet-run marker.
 * Its form values live under `notifications` in the sheet's form; the helpers below turn them
 * into the API's `notificationChannelIds` / `notifyOn` / `quietResultMarker`.
 */

export interface NotificationFormValues {
  useDefaultChannels: boolean;
  channelIds: string[];
  useDefaultEvents: boolean;
  events: NotificationEvent[];
  quietResultMarker: string;
}

export const notificationFormSchema = z.object({
  useDefaultChannels: z.boolean(),
  channelIds: z.array(z.string()),
  useDefaultEvents: z.boolean(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  quietResultMarker: z.string().max(QUIET_MARKER_MAX, `must be at most ${QUIET_MARKER_MAX} characters`),
});

/** The sheet's values for a schedule (null: a new one → the defaults). */
export function notificationFormValuesOf(s: ScheduleDto | null): NotificationFormValues {
  return {
    useDefaultChannels: s?.notificationChannelIds == null,
    channelIds: s?.notificationChannelIds ?? [],
    useDefaultEvents: s?.notifyOn == null,
    events: s?.notifyOn ?? [...DEFAULT_NOTIFY_ON],
    quietResultMarker: s?.quietResultMarker ?? "",
  };
}

/** The request-body fields for the sheet's values. */
export function notificationBody(v: NotificationFormValues): Record<string, unknown> {
  return {
    notificationChannelIds: v.useDefaultChannels ? null : v.channelIds,
    notifyOn: v.useDefaultEvents ? null : v.events,
    quietResultMarker: v.quietResultMarker.trim() === "" ? null : v.quietResultMarker,
  };
}

type WithNotifications = { notifications: NotificationFormValues };

function toggle<T>(list: T[], item: T, on: boolean): T[] {
  return on ? [...new Set([...list, item])] : list.filter((x) => x !== item);
}

export function NotificationsSection() {
  const form = useFormContext<WithNotifications>();
  const [open, setOpen] = useState(false);
  const values = useWatch({ control: form.control, name: "notifications" });
  const channels = useQuery({
    queryKey: ["notification-channels"],
    queryFn: () => apiFetch<{ channels: NotificationChannelDto[] }>("/api/notification-channels"),
  });
  const defaults = channels.data?.channels.filter((c) => c.isDefault) ?? [];

  return (
    <Collapsible open={open} onOpenChange={setOpen} className="flex flex-col gap-4" data-testid="sheet-notifications">
      <CollapsibleTrigger className="hover:bg-muted -mx-2 flex items-center gap-1 rounded-md px-2 py-1 text-left text-sm font-semibold" type="button">
        <ChevronRight className="size-4 transition-transform [[data-state=open]>&]:rotate-90" aria-hidden />
        Notifications
        <span className="text-muted-foreground ml-1 text-xs font-normal">
          {values.useDefaultChannels ? `default channels (${defaults.length})` : `${values.channelIds.length} channel${values.channelIds.length === 1 ? "" : "s"}`}
          {", "}
          {values.useDefaultEvents ? "default events" : `${values.events.length} event${values.events.length === 1 ? "" : "s"}`}
        </span>
      </CollapsibleTrigger>
      <CollapsibleContent className="flex flex-col gap-4">
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 text-sm font-medium">Channels</legend>
          <FormField
            control={form.control}
            name="notifications.useDefaultChannels"
            render={({ field }) => (
              <FormItem className="flex items-center gap-2">
                <FormControl>
                  <Checkbox checked={field.value} onCheckedChange={(v) => field.onChange(v === true)} />
                </FormControl>
                <FormLabel className="font-normal">
                  Use the default channels{defaults.length ? `: ${defaults.map((c) => c.name).join(", ")}` : " (none marked default yet)"}
                </FormLabel>
              </FormItem>
            )}
          />
          {!values.useDefaultChannels && (
            <div className="flex flex-col gap-2 pl-6" role="group" aria-label="Channels for this schedule">
              {channels.isPending && <p className="text-muted-foreground text-sm">Loading channels…</p>}
              {channels.data?.channels.length === 0 && <p className="text-muted-foreground text-sm">No channels yet: add one in Settings → Notifications.</p>}
              {channels.data?.channels.map((c) => (
                <div key={c.id} className="flex items-center gap-2">
                  <Checkbox
                    id={`notify-channel-${c.id}`}
                    checked={values.channelIds.includes(c.id)}
                    onCheckedChange={(v) => form.setValue("notifications.channelIds", toggle(values.channelIds, c.id, v === true), { shouldDirty: true })}
                  />
                  <Label htmlFor={`notify-channel-${c.id}`} className="font-normal">
                    {c.name} <span className="text-muted-foreground text-xs">{c.kind}</span>
                  </Label>
                </div>
              ))}
            </div>
          )}
        </fieldset>

        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 text-sm font-medium">Events</legend>
          <FormField
            control={form.control}
            name="notifications.useDefaultEvents"
            render={({ field }) => (
              <FormItem className="flex items-center gap-2">
                <FormControl>
                  <Checkbox checked={field.value} onCheckedChange={(v) => field.onChange(v === true)} />
                </FormControl>
                <FormLabel className="font-normal">Default events (everything but each success)</FormLabel>
              </FormItem>
            )}
          />
          {!values.useDefaultEvents && (
            <div className="grid gap-2 pl-6 sm:grid-cols-2" role="group" aria-label="Events for this schedule">
              {NOTIFICATION_EVENTS.map((e) => (
                <div key={e} className="flex items-start gap-2">
                  <Checkbox
                    id={`notify-event-${e}`}
                    checked={values.events.includes(e)}
                    onCheckedChange={(v) => form.setValue("notifications.events", toggle(values.events, e, v === true), { shouldDirty: true })}
                  />
                  <Label htmlFor={`notify-event-${e}`} className="flex flex-col items-start gap-0.5 font-normal">
                    {NOTIFICATION_EVENT_WORDS[e].label}
                    <span className="text-muted-foreground text-xs">{NOTIFICATION_EVENT_WORDS[e].detail}</span>
                  </Label>
                </div>
              ))}
            </div>
          )}
        </fieldset>

        <FormField
          control={form.control}
          name="notifications.quietResultMarker"
          render={({ field }) => (
            <FormItem>
              <FormLabel>Quiet-run marker</FormLabel>
              <FormControl>
                <Input {...field} placeholder="e.g. NO_FINDINGS" />
              </FormControl>
              <FormDescription>A successful run whose result contains this text is recorded but not notified.</FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
      </CollapsibleContent>
    </Collapsible>
  );
}
