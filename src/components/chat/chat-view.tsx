"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Clock, MessageSquarePlus, Send, Square } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { NativeSelect, NativeSelectOption } from "@/components/ui/native-select";
import { Textarea } from "@/components/ui/textarea";
import type { ConversationDto, MessageDto } from "@/lib/api-types";
import { apiFetch } from "@/lib/ui/api-client";
import { relativeTime } from "@/lib/ui/format";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import { useNow } from "@/lib/ui/use-now";
import { cn } from "@/lib/utils";
import { useChatStream, type StreamingReply } from "./use-chat-stream";

const DEFAULT_RUNTIME = "";

/** The chat page: conversation list, message view with the streaming reply, composer with stop. */
export function ChatView() {
  const queryClient = useQueryClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
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
    },
  });

  const list = conversations.data?.conversations ?? [];
  const current = list.find((c) => c.id === selectedId) ?? (selectedId ? undefined : list[0]);
  const runtimeName = (id: string | null) =>
    id ? (runtimes.data?.runtimes.find((r) => r.id === id)?.name ?? "unknown runtime") : "default runtime";

  return (
    <div className="flex h-[calc(100vh-6rem)] min-h-[28rem] gap-4">
      <aside className="flex w-64 shrink-0 flex-col gap-3">
        <div className="flex flex-col gap-2">
          <label className="text-muted-foreground text-xs font-medium" htmlFor="runtime-picker">
            Runtime for a new chat
          </label>
          <NativeSelect id="runtime-picker" data-testid="runtime-picker" value={runtimeId} onChange={(e) => setRuntimeId(e.target.value)} className="w-64">
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
              onClick={() => setSelectedId(c.id)}
              className={cn("hover:bg-accent rounded-md px-3 py-2 text-left text-sm", c.id === current?.id && "bg-accent font-medium")}
            >
              <div className="truncate">{c.title}</div>
              <div className="text-muted-foreground text-xs">
                {runtimeName(c.runtimeId)} · {relativeTime(c.updatedAt, now)}
              </div>
            </button>
          ))}
        </nav>
      </aside>

      <section className="flex min-w-0 flex-1 flex-col rounded-xl border">
        {current ? (
          <Conversation
            key={current.id}
            conversation={current}
            runtimeLabel={runtimeName(current.runtimeId)}
            reply={reply?.conversationId === current.id ? reply : null}
            streaming={streaming}
            onSend={(content) => send(current.id, content)}
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
  onSend: (content: string) => void;
  onStop: () => void;
  onDismiss: () => void;
}) {
  const { conversation, reply } = props;
  const [draft, setDraft] = useState("");
  const bottomRef = useRef<HTMLDivElement>(null);
  const messages = useQuery({
    queryKey: queryKeys.messages(conversation.id),
    queryFn: () => fetchers.messages(conversation.id),
    // A reply another tab (or a stopped stream) is still finalizing shows up without a reload.
    refetchInterval: (q) => (q.state.data?.messages.some((m) => m.status === "streaming") ? 1_000 : false),
  });
  // The live reply stands in for its saved rows until the stream is over.
  const saved = (messages.data?.messages ?? []).filter((m) => !reply || (m.id !== reply.messageId && m.id !== reply.userMessageId));

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
      <header className="flex items-center justify-between gap-2 border-b px-4 py-3">
        <div className="min-w-0">
          <h2 className="truncate font-semibold" data-testid="conversation-title">
            {conversation.title}
          </h2>
          <p className="text-muted-foreground text-xs">via {props.runtimeLabel}</p>
        </div>
        <HeldBackIndicator reply={reply} />
      </header>
      <div className="flex min-h-0 flex-1 flex-col gap-3 overflow-y-auto p-4" data-testid="message-list">
        {messages.error && <p role="alert" className="text-destructive text-sm">Could not load messages: {messages.error.message}</p>}
        {saved.map((m) => (
          <MessageBubble key={m.id} role={m.role} status={m.status} content={m.content} error={m.error} testId="message" />
        ))}
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
