"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Clock, MessageSquarePlus, Pencil, RotateCcw, Send, Square, Trash2 } from "lucide-react";
import { toast } from "sonner";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useEffect, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { NativeSelect, NativeSelectOption } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import type { ConversationDto, MessageDto } from "@/lib/api-types";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import { useNow } from "@/lib/ui/use-now";
import { cn } from "@/lib/utils";
import { useChatStream, type StreamingReply } from "./use-chat-stream";

const DEFAULT_RUNTIME = "";

/** The chat page: conversation list, message view with the streaming reply, composer with stop. */
export function ChatView() {
  const queryClient = useQueryClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // Below md the page shows the list or one conversation; this says which.
  const [mobileShowsList, setMobileShowsList] = useState(true);
  const [runtimeId, setRuntimeId] = useState(DEFAULT_RUNTIME);
  const { reply, send, stop, dismiss, streaming } = useChatStream();
  const now = useNow(15_000);

  const conversations = useQuery({
    queryKey: queryKeys.conversations,
    queryFn: fetchers.conversations,
  });
  const runtimes = useQuery({
    queryKey: queryKeys.runtimes,
    queryFn: fetchers.runtimes,
    retry: false,
  });
  const create = useMutation({
    mutationFn: () => apiFetch<{ conversation: ConversationDto }>("/api/chat/conversations", { method: "POST", json: runtimeId ? { runtimeId } : {} }),
    onSuccess: ({ conversation }) => {
      queryClient.setQueryData(queryKeys.conversations, (old: { conversations: ConversationDto[] } | undefined) => ({
        conversations: [conversation, ...(old?.conversations ?? [])],
      }));
      setSelectedId(conversation.id);
      setMobileShowsList(false);
    },
  });

  const list = conversations.data?.conversations ?? [];
  const current = list.find((c) => c.id === selectedId) ?? (selectedId ? undefined : list[0]);
  const runtimeName = (id: string | null) =>
    id ? (runtimes.data?.runtimes.find((r) => r.id === id)?.name ?? "unknown runtime") : "default runtime";

  return (
    <div className="flex h-[calc(100dvh-8.5rem)] min-h-[28rem] gap-4 md:h-[calc(100dvh-6rem)]">
      <aside className={cn("w-full shrink-0 flex-col gap-3 md:flex md:w-64", mobileShowsList ? "flex" : "hidden")} data-testid="conversation-list">
        <div className="flex flex-col gap-2">
          <label className="text-muted-foreground text-xs font-medium" htmlFor="runtime-picker">
            Runtime for a new chat
          </label>
          <NativeSelect id="runtime-picker" data-testid="runtime-picker" value={runtimeId} onChange={(e) => setRuntimeId(e.target.value)} className="w-full">
            <NativeSelectOption value={DEFAULT_RUNTIME}>Default runtime</NativeSelectOption>
            {runtimes.data?.runtimes.map((r) => (
              <NativeSelectOption key={r.id} value={r.id}>
                {r.name} ({r.kind}){r.isDefault ? " · default" : ""}
              </NativeSelectOption>
            ))}
          </NativeSelect>
          <Button onClick={() => create.mutate()} disabled={create.isPending} data-testid="new-chat">
            <MessageSquarePlus />
            New chat
          </Button>
          {create.error && (
            <p role="alert" className="text-destructive text-xs">
              {create.error.message}
            </p>
          )}
        </div>
        <nav className="flex min-h-0 flex-1 flex-col gap-1 overflow-y-auto" aria-label="Conversations">
          {conversations.isPending && <p className="text-muted-foreground text-sm">Loading…</p>}
          {conversations.error && <p role="alert" className="text-destructive text-sm">Could not load conversations: {conversations.error.message}</p>}
          {list.map((c) => (
            <button
              key={c.id}
              type="button"
              data-testid="conversation-item"
              aria-current={c.id === current?.id ? "true" : undefined}
              onClick={() => {
                setSelectedId(c.id);
                setMobileShowsList(false);
              }}
              className={cn("hover:bg-accent rounded-md px-3 py-2 text-left text-sm", c.id === current?.id && "bg-accent font-medium")}
            >
              <div className="truncate">{c.title}</div>
              <div className="text-muted-foreground text-xs">
                {runtimeName(c.runtimeId)} · <span title={formatDateTime(c.updatedAt)}>{relativeTime(c.updatedAt, now, { past: true })}</span>
              </div>
            </button>
          ))}
        </nav>
      </aside>

      <section className={cn("min-w-0 flex-1 flex-col rounded-xl border md:flex", mobileShowsList ? "hidden" : "flex")}>
        {current ? (
          <Conversation
            key={current.id}
            conversation={current}
            runtimeLabel={runtimeName(current.runtimeId)}
            reply={reply?.conversationId === current.id ? reply : null}
            streaming={streaming}
            onBack={() => setMobileShowsList(true)}
            onDeleted={() => {
              setSelectedId(null);
              setMobileShowsList(true);
            }}
            onSend={(content) => send(current.id, content)}
            onRetry={(retry) => send(current.id, retry.content, retry)}
            onStop={stop}
            onDismiss={dismiss}
          />
        ) : (
          <div className="text-muted-foreground m-auto text-sm">{conversations.isPending ? "" : "Start a new chat."}</div>
        )}
      </section>
    </div>
  );
}

function Conversation(props: {
  conversation: ConversationDto;
  runtimeLabel: string;
  reply: StreamingReply | null;
  streaming: boolean;
  onBack: () => void;
  onDeleted: () => void;
  onSend: (content: string) => void;
  onRetry: (retry: { messageId: string; userMessageId: string; content: string }) => void;
  onStop: () => void;
  onDismiss: () => void;
}) {
  const { conversation, reply } = props;
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState("");
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const remove = useMutation({
    mutationFn: () => apiFetch(`/api/chat/conversations/${conversation.id}`, { method: "DELETE" }),
    onSuccess: () => {
      queryClient.setQueryData(queryKeys.conversations, (old: { conversations: ConversationDto[] } | undefined) => ({
        conversations: (old?.conversations ?? []).filter((c) => c.id !== conversation.id),
      }));
      setDeleting(false);
      toast.success("Conversation deleted");
      props.onDeleted();
    },
    onError: (err) => toast.error(`Could not delete: ${err.message}`),
  });
  const bottomRef = useRef<HTMLDivElement>(null);
  const messages = useQuery({
    queryKey: queryKeys.messages(conversation.id),
    queryFn: () => fetchers.messages(conversation.id),
    // A reply another tab (or a stopped stream) is still finalizing shows up without a reload.
    refetchInterval: (q) => (q.state.data?.messages.some((m) => m.status === "streaming") ? 1_000 : false),
  });
  // The live reply stands in for its saved rows until the stream is over.
  const saved = (messages.data?.messages ?? []).filter(
    (m) => !reply || (m.id !== reply.messageId && m.id !== reply.userMessageId && !reply.replaces?.includes(m.id)),
  );
  // The last saved reply, when it failed or was stopped, can be asked again (retry).
  const last = saved[saved.length - 1];
  const beforeLast = saved[saved.length - 2];
  const retryable =
    !reply && last?.role === "assistant" && (last.status === "error" || last.status === "aborted") && beforeLast?.role === "user"
      ? { messageId: last.id, userMessageId: beforeLast.id, content: beforeLast.content }
      : null;

  useEffect(() => {
    bottomRef.current?.scrollIntoView({ block: "end" });
  }, [saved.length, reply?.text]);

  const submit = () => {
    const content = draft.trim();
    if (!content || props.streaming) return;
    setDraft("");
    props.onSend(content);
  };

  return (
    <>
      <header className="flex flex-wrap items-center justify-between gap-2 border-b px-3 py-2 md:px-4 md:py-3">
        <div className="flex min-w-0 flex-1 items-center gap-1">
          <Button variant="ghost" size="icon" className="md:hidden" onClick={props.onBack} aria-label="Back to conversations">
            <ArrowLeft />
          </Button>
          <div className="min-w-0">
            <h2 className="truncate font-semibold" data-testid="conversation-title">
              {conversation.title}
            </h2>
            <p className="text-muted-foreground text-xs">via {props.runtimeLabel}</p>
          </div>
        </div>
        <div className="flex items-center gap-1">
          <HeldBackIndicator reply={reply} />
          <Button variant="ghost" size="icon" aria-label="Rename conversation" onClick={() => setRenaming(true)} data-testid="rename-conversation">
            <Pencil />
          </Button>
          <Button
            variant="ghost"
            size="icon"
            aria-label="Delete conversation"
            onClick={() => setDeleting(true)}
            disabled={props.streaming}
            data-testid="delete-conversation"
          >
            <Trash2 />
          </Button>
        </div>
      </header>
      <RenameDialog open={renaming} onOpenChange={setRenaming} conversation={conversation} />
      <AlertDialog open={deleting} onOpenChange={setDeleting}>
        <AlertDialogContent data-testid="delete-conversation-dialog">
          <AlertDialogHeader>
            <AlertDialogTitle>Delete “{conversation.title}”?</AlertDialogTitle>
            <AlertDialogDescription>The conversation and all its messages are removed. This can&apos;t be undone.</AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel disabled={remove.isPending}>Keep it</AlertDialogCancel>
            <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending}>
              {remove.isPending ? "Deleting…" : "Delete"}
            </Button>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>
      <div
        className="flex min-h-0 flex-1 flex-col gap-3 overflow-y-auto p-3 md:p-4"
        data-testid="message-list"
        tabIndex={0}
        role="log"
        aria-label="Messages"
      >
        {messages.error && <p role="alert" className="text-destructive text-sm">Could not load messages: {messages.error.message}</p>}
        {saved.map((m) => (
          <MessageBubble key={m.id} role={m.role} status={m.status} content={m.content} error={m.error} testId="message" />
        ))}
        {retryable && (
          <Button
            variant="outline"
            size="sm"
            className="self-start"
            onClick={() => props.onRetry(retryable)}
            disabled={props.streaming}
            data-testid="retry-reply"
          >
            <RotateCcw />
            Retry
          </Button>
        )}
        {reply && (
          <>
            <MessageBubble role="user" status="complete" content={reply.userContent} testId="message" />
            {reply.phase === "error" && !reply.messageId ? (
              <div role="alert" className="text-destructive flex items-center gap-2 text-sm">
                Not sent: {reply.error}
                <Button
                  variant="ghost"
                  size="sm"
                  onClick={() => {
                    // Give the refused message back to the composer so nothing typed is lost.
                    setDraft((d) => d || reply.userContent);
                    props.onDismiss();
                  }}
                >
                  Dismiss
                </Button>
              </div>
            ) : (
              <MessageBubble
                role="assistant"
                status={reply.phase === "done" ? "complete" : reply.phase === "connecting" ? "streaming" : reply.phase}
                content={reply.text}
                error={reply.error ?? null}
                testId="streaming-message"
              />
            )}
          </>
        )}
        <div ref={bottomRef} />
      </div>
      <form
        className="flex items-end gap-2 border-t p-3"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Textarea
          data-testid="chat-input"
          aria-label="Message"
          placeholder="Message the agent… (Enter to send, Shift+Enter for a new line)"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
          className="max-h-48 min-h-10"
          rows={1}
        />
        {props.streaming ? (
          <Button type="button" variant="outline" onClick={props.onStop} data-testid="stop">
            <Square />
            Stop
          </Button>
        ) : (
          <Button type="submit" disabled={!draft.trim()} data-testid="send">
            <Send />
            Send
          </Button>
        )}
      </form>
    </>
  );
}

/** Rename a conversation (PATCH /api/chat/conversations/:id {title}). */
function RenameDialog({ open, onOpenChange, conversation }: { open: boolean; onOpenChange: (open: boolean) => void; conversation: ConversationDto }) {
  const queryClient = useQueryClient();
  const [title, setTitle] = useState(conversation.title);
  const rename = useMutation({
    mutationFn: (next: string) => apiFetch<{ conversation: ConversationDto }>(`/api/chat/conversations/${conversation.id}`, { method: "PATCH", json: { title: next } }),
    onSuccess: ({ conversation: updated }) => {
      queryClient.setQueryData(queryKeys.conversations, (old: { conversations: ConversationDto[] } | undefined) => ({
        conversations: (old?.conversations ?? []).map((c) => (c.id === updated.id ? updated : c)),
      }));
      onOpenChange(false);
    },
  });
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        if (o) setTitle(conversation.title);
        rename.reset();
        onOpenChange(o);
      }}
    >
      <DialogContent data-testid="rename-dialog">
        <DialogHeader>
          <DialogTitle>Rename conversation</DialogTitle>
          <DialogDescription>The name shown in the conversation list.</DialogDescription>
        </DialogHeader>
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            rename.mutate(title);
          }}
        >
          <div className="flex flex-col gap-1.5">
            <Label htmlFor="conversation-title-input">Name</Label>
            <Input
              id="conversation-title-input"
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              aria-invalid={!!rename.error}
              aria-describedby={rename.error ? "conversation-title-error" : undefined}
            />
            {rename.error && (
              <p id="conversation-title-error" role="alert" className="text-destructive text-xs">
                {rename.error instanceof ApiError && rename.error.fields?.title ? `Name ${rename.error.fields.title}` : rename.error.message}
              </p>
            )}
          </div>
          <DialogFooter>
            <Button type="submit" disabled={rename.isPending}>
              {rename.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function MessageBubble(props: { role: MessageDto["role"]; status: MessageDto["status"]; content: string; error?: string | null; testId: string }) {
  const mine = props.role === "user";
  return (
    <div
      data-testid={props.testId}
      data-role={props.role}
      data-status={props.status}
      className={cn("max-w-[80%] rounded-lg px-3 py-2 text-sm whitespace-pre-wrap", mine ? "bg-primary text-primary-foreground self-end" : "bg-muted self-start")}
    >
      {props.content || (props.status === "streaming" ? <span className="text-muted-foreground">…</span> : null)}
      {props.status === "streaming" && props.content && <span className="ml-0.5 animate-pulse">▍</span>}
      {(props.status === "error" || props.status === "aborted") && (
        <div className={cn("mt-1 text-xs", props.status === "error" ? "text-destructive" : "text-muted-foreground")}>
          {props.status === "aborted" ? "Stopped" : "Error"}
          {props.error ? `: ${props.error}` : ""}
        </div>
      )}
    </div>
  );
}

/**
 * Shows when chat pressure holds scheduled starts back: a chat streams and tasks are
 * queued (GET /api/scheduler/status), or the stream's own `status` event said so.
 */
function HeldBackIndicator({ reply }: { reply: StreamingReply | null }) {
  const live = reply?.phase === "connecting" || reply?.phase === "streaming";
  const status = useQuery({
    queryKey: queryKeys.schedulerStatus,
    queryFn: fetchers.schedulerStatus,
    refetchInterval: live ? 1_000 : 10_000,
    retry: false,
  });
  const settings = useQuery({
    queryKey: queryKeys.settings,
    queryFn: fetchers.settings,
    staleTime: 60_000,
  });
  const fromStatus = status.data && status.data.chatStreamsActive > 0 ? status.data.queued : 0;
  const heldBack = Math.max(fromStatus, live ? (reply?.heldBackTasks ?? 0) : 0);
  if (heldBack <= 0) return null;
  const delay = settings.data?.chatPressureDelaySec;
  return (
    <Badge
      variant="warning"
      data-testid="held-back-indicator"
      title={`While a chat streams, new scheduled starts wait${delay ? ` up to ${delay}s` : ""} so the chat stays responsive.`}
    >
      <Clock />
      {heldBack} scheduled task{heldBack === 1 ? "" : "s"} held back
    </Badge>
  );
}
