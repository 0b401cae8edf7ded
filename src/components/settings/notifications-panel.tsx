"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ChevronRight, Pencil, Plus, Send, Trash2 } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { Switch } from "@/components/ui/switch";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { NotificationChannelDto, NotificationDeliveryDto } from "@/lib/api-types";
import { NOTIFICATION_CHANNEL_KINDS, NOTIFICATION_EVENTS, type NotificationChannelKind, type NotificationEvent } from "@/lib/db/constants";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import { NOTIFICATION_EVENT_WORDS } from "./notification-words";

/**
 * Settings → Notifications (issue 11 item 1): the channels (webhook, Slack-compatible, email),
 * create/edit, "Send test", and each channel's last deliveries with status and response code.
 * A webhook's signing secret is shown once, right after it is generated.
 */

const CHANNELS_KEY = ["notification-channels"] as const;
const deliveriesKey = (id: string) => ["notification-channels", id, "deliveries"] as const;
/** How often an open deliveries list refreshes (a retry or a Send test lands within seconds). */
const DELIVERIES_REFRESH_MS = 3_000;

const KIND_LABELS: Record<NotificationChannelKind, string> = { webhook: "Webhook (signed JSON)", slack: "Slack-compatible incoming webhook", email: "Email (SMTP)" };

const STATUS_VARIANT: Record<NotificationDeliveryDto["status"], "success" | "warning" | "destructive" | "secondary"> = {
  delivered: "success",
  pending: "warning",
  sending: "secondary",
  failed: "destructive",
};

export function NotificationsPanel() {
  const channels = useQuery({ queryKey: CHANNELS_KEY, queryFn: () => apiFetch<{ channels: NotificationChannelDto[] }>("/api/notification-channels") });
  const [editing, setEditing] = useState<NotificationChannelDto | "new" | null>(null);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);

  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-muted-foreground text-sm">Schedules that choose no channels use the ones marked default.</p>
        <Button size="sm" onClick={() => setEditing("new")}>
          <Plus aria-hidden /> Add channel
        </Button>
      </div>
      {channels.isPending && <p className="text-muted-foreground text-sm">Loading channels…</p>}
      {channels.isError && <p className="text-destructive text-sm">Could not load channels: {channels.error.message}</p>}
      {channels.data?.channels.length === 0 && <p className="text-muted-foreground text-sm">No channels yet. Add a webhook, a Slack-compatible URL or an SMTP server.</p>}
      {channels.data && channels.data.channels.length > 0 && (
        <ul className="divide-y rounded-md border" aria-label="Notification channels">
          {channels.data.channels.map((c) => (
            <ChannelRow key={c.id} channel={c} onEdit={() => setEditing(c)} />
          ))}
        </ul>
      )}
      {editing && (
        <ChannelDialog
          channel={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSecret={(name, s) => setSecret({ name, secret: s })}
        />
      )}
      <Dialog open={secret !== null} onOpenChange={(o) => !o && setSecret(null)}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Signing secret for “{secret?.name}”</DialogTitle>
            <DialogDescription>Copy it now: it is not shown again. Your receiver checks X-Agentcron-Signature with it (docs/notifications.md).</DialogDescription>
          </DialogHeader>
          <Input readOnly value={secret?.secret ?? ""} className="font-mono text-xs" aria-label="Signing secret" onFocus={(e) => e.currentTarget.select()} data-testid="channel-secret" />
          <DialogFooter>
            <Button onClick={() => void navigator.clipboard?.writeText(secret?.secret ?? "").then(() => toast.success("Secret copied"), () => undefined)} variant="outline">
              Copy
            </Button>
            <Button onClick={() => setSecret(null)}>Done</Button>
          </DialogFooter>
        </DialogContent>
      </Dialog>
    </div>
  );
}

function describeTarget(c: NotificationChannelDto): string {
  if (c.kind === "email") return `${String(c.config.from)} → ${(c.config.to as string[] | undefined)?.join(", ") ?? ""} via ${String(c.config.host)}:${String(c.config.port)}`;
  return String(c.config.url);
}

function ChannelRow({ channel: c, onEdit }: { channel: NotificationChannelDto; onEdit: () => void }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const test = useMutation({
    mutationFn: () => apiFetch<{ deliveryId: string }>(`/api/notification-channels/${c.id}/test`, { method: "POST" }),
    onSuccess: () => {
      toast.success(`Test notification queued for “${c.name}”`);
      setOpen(true);
      void queryClient.invalidateQueries({ queryKey: deliveriesKey(c.id) });
    },
    onError: (err) => toast.error(err.message),
  });
  const remove = useMutation({
    mutationFn: () => apiFetch<void>(`/api/notification-channels/${c.id}`, { method: "DELETE" }),
    onSuccess: () => {
      toast.success(`Channel “${c.name}” deleted`);
      void queryClient.invalidateQueries({ queryKey: CHANNELS_KEY });
    },
    onError: (err) => toast.error(err.message),
  });
  return (
    <li className="flex flex-col gap-2 px-3 py-2" data-testid={`channel-${c.name}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
        <button type="button" className="hover:bg-muted -ml-1 flex min-w-0 items-center gap-1 rounded px-1 font-medium" onClick={() => setOpen(!open)} aria-expanded={open}>
          <ChevronRight className={`size-4 shrink-0 transition-transform ${open ? "rotate-90" : ""}`} aria-hidden />
          <span className="truncate">{c.name}</span>
        </button>
        <Badge variant="outline">{c.kind}</Badge>
        {c.isDefault && <Badge variant="secondary">default</Badge>}
        <span className="text-muted-foreground min-w-0 truncate text-xs" title={describeTarget(c)}>
          {describeTarget(c)}
        </span>
        <span className="text-muted-foreground text-xs">{c.events ? c.events.map((e) => NOTIFICATION_EVENT_WORDS[e].label).join(", ") : "all events"}</span>
        <span className="ml-auto flex gap-1">
          <Button size="sm" variant="outline" onClick={() => test.mutate()} disabled={test.isPending}>
            <Send aria-hidden /> Send test
          </Button>
          <Button size="sm" variant="ghost" onClick={onEdit} aria-label={`Edit ${c.name}`}>
            <Pencil aria-hidden />
          </Button>
          {confirmDelete ? (
            <Button size="sm" variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending}>
              Delete?
            </Button>
          ) : (
            <Button size="sm" variant="ghost" onClick={() => setConfirmDelete(true)} aria-label={`Delete ${c.name}`}>
              <Trash2 aria-hidden />
            </Button>
          )}
        </span>
      </div>
      {open && <Deliveries channelId={c.id} />}
    </li>
  );
}

function Deliveries({ channelId }: { channelId: string }) {
  const q = useQuery({
    queryKey: deliveriesKey(channelId),
    queryFn: () => apiFetch<{ deliveries: NotificationDeliveryDto[] }>(`/api/notification-channels/${channelId}/deliveries?limit=20`),
    refetchInterval: DELIVERIES_REFRESH_MS,
  });
  if (q.isPending) return <p className="text-muted-foreground text-sm">Loading deliveries…</p>;
  if (q.isError) return <p className="text-destructive text-sm">Could not load deliveries: {q.error.message}</p>;
  if (!q.data.deliveries.length) return <p className="text-muted-foreground text-sm">Nothing sent yet. “Send test” sends one now.</p>;
  const now = q.dataUpdatedAt;
  return (
    <div className="overflow-x-auto">
      <Table aria-label="Last deliveries" data-testid={`deliveries-${channelId}`}>
        <TableHeader>
          <TableRow>
            <TableHead className="hidden sm:table-cell">When</TableHead>
            <TableHead>Event</TableHead>
            <TableHead>Status</TableHead>
            <TableHead className="text-right">Tries</TableHead>
            <TableHead className="text-right">Response</TableHead>
            <TableHead className="hidden sm:table-cell">Last error / next try</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {q.data.deliveries.map((d) => (
            <TableRow key={d.id}>
              <TableCell className="hidden sm:table-cell" title={formatDateTime(d.createdAt)}>
                {relativeTime(d.createdAt, now, { past: true })}
              </TableCell>
              <TableCell>{NOTIFICATION_EVENT_WORDS[d.event as NotificationEvent]?.label ?? d.event}</TableCell>
              <TableCell>
                <Badge variant={STATUS_VARIANT[d.status]}>{d.status}</Badge>
              </TableCell>
              <TableCell className="text-right tabular-nums">{d.attempts}</TableCell>
              <TableCell className="text-right tabular-nums" data-testid="delivery-response">
                {d.responseStatus ?? "—"}
              </TableCell>
              <TableCell className="text-muted-foreground hidden max-w-64 truncate text-xs sm:table-cell" title={d.lastError ?? undefined}>
                {d.lastError ?? ""}
                {d.nextAttemptAt ? ` next ${relativeTime(d.nextAttemptAt, now)}` : ""}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}

interface Draft {
  name: string;
  kind: NotificationChannelKind;
  url: string;
  secret: string;
  host: string;
  port: string;
  secure: boolean;
  username: string;
  password: string;
  from: string;
  to: string;
  allEvents: boolean;
  events: NotificationEvent[];
  isDefault: boolean;
}

function draftOf(c: NotificationChannelDto | null): Draft {
  const cfg = (c?.config ?? {}) as Record<string, unknown>;
  return {
    name: c?.name ?? "",
    kind: c?.kind ?? "webhook",
    // A Slack URL comes back masked: leave the box empty to keep the stored one.
    url: c && c.kind !== "slack" ? String(cfg.url ?? "") : "",
    secret: "",
    host: String(cfg.host ?? ""),
    port: cfg.port != null ? String(cfg.port) : "587",
    secure: cfg.secure === true,
    username: String(cfg.username ?? ""),
    password: "",
    from: String(cfg.from ?? ""),
    to: Array.isArray(cfg.to) ? (cfg.to as string[]).join(", ") : "",
    allEvents: c ? c.events == null : true,
    events: c?.events ?? [...NOTIFICATION_EVENTS],
    isDefault: c?.isDefault ?? false,
  };
}

function configOf(d: Draft, editing: boolean): Record<string, unknown> {
  if (d.kind === "email") {
    return {
      host: d.host,
      port: Number(d.port),
      secure: d.secure,
      ...(d.username ? { username: d.username } : {}),
      ...(d.password ? { password: d.password } : {}),
      from: d.from,
      to: d.to.split(/[,\s]+/).filter(Boolean),
    };
  }
  if (editing && d.kind === "slack" && !d.url) return {};
  return { url: d.url, ...(d.kind === "webhook" && d.secret ? { secret: d.secret } : {}) };
}

function ChannelDialog({ channel, onClose, onSecret }: { channel: NotificationChannelDto | null; onClose: () => void; onSecret: (name: string, secret: string) => void }) {
  const queryClient = useQueryClient();
  const [d, setD] = useState<Draft>(() => draftOf(channel));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setD((x) => ({ ...x, [k]: v }));
    // An edited field's server message no longer applies.
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([key]) => key !== k && key !== `config.${k}`)));
  };
  const save = useMutation({
    mutationFn: () => {
      const body = { name: d.name, config: configOf(d, !!channel), events: d.allEvents ? null : d.events, isDefault: d.isDefault };
      return channel
        ? apiFetch<{ channel: NotificationChannelDto }>(`/api/notification-channels/${channel.id}`, { method: "PATCH", json: body })
        : apiFetch<{ channel: NotificationChannelDto }>("/api/notification-channels", { method: "POST", json: { ...body, kind: d.kind } });
    },
    onSuccess: ({ channel: saved }) => {
      void queryClient.invalidateQueries({ queryKey: CHANNELS_KEY });
      toast.success(`Channel “${saved.name}” saved`);
      if (saved.secret) onSecret(saved.name, saved.secret);
      onClose();
    },
    onError: (err) => {
      if (err instanceof ApiError && err.fields) setErrors(err.fields);
      else setErrors({ form: err.message });
    },
  });
  const err = (k: string) =>
    errors[k] ? (
      <p className="text-destructive text-xs" role="alert">
        {errors[k]}
      </p>
    ) : null;
  const field = (id: string, label: string, input: React.ReactNode, errorKey: string, hint?: string) => (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {input}
      {hint && <p className="text-muted-foreground text-xs">{hint}</p>}
      {err(errorKey)}
    </div>
  );

  return (
    <Dialog open onOpenChange={(o) => !o && onClose()}>
      <DialogContent className="sm:max-w-lg">
        <DialogHeader>
          <DialogTitle>{channel ? `Edit “${channel.name}”` : "New notification channel"}</DialogTitle>
          <DialogDescription>Where Agentcron sends failures, recoveries, pauses, missed occurrences, budget breaches and (if asked) results.</DialogDescription>
        </DialogHeader>
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            setErrors({});
            save.mutate();
          }}
        >
          {field("channel-name", "Name", <Input id="channel-name" value={d.name} onChange={(e) => set("name", e.target.value)} aria-invalid={!!errors.name} />, "name")}
          {field(
            "channel-kind",
            "Kind",
            <NativeSelect id="channel-kind" wrapperClassName="w-full" value={d.kind} disabled={!!channel} onChange={(e) => set("kind", e.target.value as NotificationChannelKind)}>
              {NOTIFICATION_CHANNEL_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </NativeSelect>,
            "kind",
          )}
          {d.kind !== "email" &&
            field(
              "channel-url",
              "URL",
              <Input id="channel-url" type="url" value={d.url} placeholder={channel?.kind === "slack" ? `${String(channel.config.url)} (leave empty to keep)` : "https://…"} onChange={(e) => set("url", e.target.value)} aria-invalid={!!errors["config.url"]} />,
              "config.url",
              d.kind === "slack" ? "Slack, Mattermost, or Discord’s …/slack endpoint." : "Receives a signed JSON POST.",
            )}
          {d.kind === "webhook" &&
            field(
              "channel-secret",
              "Signing secret (optional)",
              <Input id="channel-secret" type="password" autoComplete="new-password" value={d.secret} onChange={(e) => set("secret", e.target.value)} placeholder={channel ? "leave empty to keep" : "generated when empty"} />,
              "config.secret",
            )}
          {d.kind === "email" && (
            <>
              <div className="grid gap-3 sm:grid-cols-[1fr_6rem]">
                {field("channel-host", "SMTP host", <Input id="channel-host" value={d.host} onChange={(e) => set("host", e.target.value)} />, "config.host")}
                {field("channel-port", "Port", <Input id="channel-port" type="number" value={d.port} onChange={(e) => set("port", e.target.value)} />, "config.port")}
              </div>
              <div className="flex items-center gap-2">
                <Switch id="channel-secure" checked={d.secure} onCheckedChange={(v) => set("secure", v)} />
                <Label htmlFor="channel-secure" className="font-normal">
                  Implicit TLS (port 465); otherwise STARTTLS when offered
                </Label>
              </div>
              <div className="grid gap-3 sm:grid-cols-2">
                {field("channel-user", "Username", <Input id="channel-user" value={d.username} onChange={(e) => set("username", e.target.value)} />, "config.username")}
                {field(
                  "channel-password",
                  "Password",
                  <Input id="channel-password" type="password" autoComplete="new-password" value={d.password} placeholder={channel?.hasSecret ? "leave empty to keep" : ""} onChange={(e) => set("password", e.target.value)} />,
                  "config.password",
                )}
              </div>
              {field("channel-from", "From", <Input id="channel-from" value={d.from} onChange={(e) => set("from", e.target.value)} />, "config.from")}
              {field("channel-to", "To", <Input id="channel-to" value={d.to} onChange={(e) => set("to", e.target.value)} placeholder="ops@example.com, me@example.com" />, "config.to")}
            </>
          )}
          <fieldset className="flex flex-col gap-2">
            <legend className="mb-1 text-sm font-medium">Events</legend>
            <div className="flex items-center gap-2">
              <Checkbox id="channel-all-events" checked={d.allEvents} onCheckedChange={(v) => set("allEvents", v === true)} />
              <Label htmlFor="channel-all-events" className="font-normal">
                Every event its schedules ask for
              </Label>
            </div>
            {!d.allEvents && (
              <div className="grid gap-2 pl-6 sm:grid-cols-2">
                {NOTIFICATION_EVENTS.map((e) => (
                  <div key={e} className="flex items-center gap-2">
                    <Checkbox
                      id={`channel-event-${e}`}
                      checked={d.events.includes(e)}
                      onCheckedChange={(v) => set("events", v === true ? [...new Set([...d.events, e])] : d.events.filter((x) => x !== e))}
                    />
                    <Label htmlFor={`channel-event-${e}`} className="font-normal">
                      {NOTIFICATION_EVENT_WORDS[e].label}
                    </Label>
                  </div>
                ))}
              </div>
            )}
          </fieldset>
          <div className="flex items-center gap-2">
            <Switch id="channel-default" checked={d.isDefault} onCheckedChange={(v) => set("isDefault", v)} />
            <Label htmlFor="channel-default" className="font-normal">
              Default channel (for schedules that choose none)
            </Label>
          </div>
          {Object.entries(errors)
            .filter(([k]) => !["name", "kind", "config.url", "config.secret", "config.host", "config.port", "config.username", "config.password", "config.from", "config.to"].includes(k))
            .map(([k, v]) => (
              <p key={k} className="text-destructive text-sm" role="alert">
                {k === "form" ? v : `${k}: ${v}`}
              </p>
            ))}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : channel ? "Save changes" : "Create channel"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
