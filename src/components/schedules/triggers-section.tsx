"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ChevronRight, Copy, KeyRound } from "lucide-react";
import { useState } from "react";
import { useFormContext, useFormState } from "react-hook-form";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { HOOK_BODY_MAX_BYTES } from "@/lib/triggers/limits";
import { PROMPT_VARIABLES } from "@/lib/triggers/prompt-variables";
import { apiFetch } from "@/lib/ui/api-client";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import type { ScheduleDto } from "@/lib/ui/types";
import { NO_DEPENDENCY } from "./form/trigger-fields";
import type { ScheduleFormValues } from "./form/schema";

/**
 * The schedule sheet's "Triggers" part (issue 12 items 1, 6, 7): "Run after" (depends on
 * another schedule's success), the prompt variables the prompt may use, and the fire URL
 * with its token ("Generate token" / "Rotate token": the token is shown once, with a curl
 * example). Collapsed unless a dependency is set or one of its fields has an error.
 */
export function TriggersSection({ schedule }: { schedule: ScheduleDto | null }) {
  const form = useFormContext<ScheduleFormValues>();
  const { errors } = useFormState({ control: form.control, name: "dependsOnScheduleId" });
  const [open, setOpen] = useState(!!schedule?.dependsOnScheduleId || !!schedule?.hookTokenSet);
  const schedules = useQuery({ queryKey: queryKeys.schedules, queryFn: fetchers.schedules });
  const others = (schedules.data?.schedules ?? []).filter((s) => s.id !== schedule?.id);
  return (
    <Collapsible open={open || !!errors.dependsOnScheduleId} onOpenChange={setOpen} className="flex flex-col gap-4" data-testid="sheet-triggers">
      <CollapsibleTrigger className="hover:bg-muted -mx-2 flex items-center gap-1 rounded-md px-2 py-1 text-left text-sm font-semibold" type="button">
        <ChevronRight className="size-4 transition-transform [[data-state=open]>&]:rotate-90" aria-hidden />
        Triggers
        <span className="text-muted-foreground ml-1 text-xs font-normal">run after, fire URL, prompt variables</span>
      </CollapsibleTrigger>
      <CollapsibleContent className="flex flex-col gap-5">
        <FormField
          control={form.control}
          name="dependsOnScheduleId"
          render={({ field }) => (
            <FormItem>
              <FormLabel>Run after</FormLabel>
              <Select value={field.value} onValueChange={field.onChange}>
                <FormControl>
                  <SelectTrigger ref={field.ref} data-testid="depends-on-select" className="w-full">
                    <SelectValue />
                  </SelectTrigger>
                </FormControl>
                <SelectContent>
                  <SelectItem value={NO_DEPENDENCY}>Nothing — only on its schedule</SelectItem>
                  {others.map((s) => (
                    <SelectItem key={s.id} value={s.id}>
                      “{s.name}” succeeds
                    </SelectItem>
                  ))}
                  {field.value !== NO_DEPENDENCY && !others.some((s) => s.id === field.value) && (
                    <SelectItem value={field.value}>a deleted schedule</SelectItem>
                  )}
                </SelectContent>
              </Select>
              <FormDescription>
                Runs within a second after each successful run of that schedule, besides its own times. For &ldquo;only after&rdquo; (no
                cron), choose <strong>Only after</strong> under When.
              </FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
        <PromptVariablesHelp />
        <FireUrl schedule={schedule} />
      </CollapsibleContent>
    </Collapsible>
  );
}

/** The prompt variables, with what each becomes (prompt-variables.ts). */
function PromptVariablesHelp() {
  return (
    <div className="flex flex-col gap-2" data-testid="prompt-variables-help">
      <div className="text-sm font-medium">Prompt variables</div>
      <p className="text-muted-foreground text-sm">Write these in the prompt; they are filled in when each run starts. Anything else in double braces is refused.</p>
      <dl className="grid grid-cols-1 gap-x-3 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
        {PROMPT_VARIABLES.map((v) => (
          <div key={v.name} className="contents">
            <dt>
              <code className="bg-muted rounded px-1 text-xs">{`{{${v.name}}}`}</code>
            </dt>
            <dd className="text-muted-foreground mb-1 sm:mb-0">{v.help}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** The fire URL and its token: generate/rotate (shown once), curl example. */
function FireUrl({ schedule }: { schedule: ScheduleDto | null }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(null);
  // The sheet only renders after a click (never on the server), so window is there.
  const [origin] = useState(() => (typeof window === "undefined" ? "" : window.location.origin));
  const rotate = useMutation({
    mutationFn: () => apiFetch<{ token: string }>(`/api/schedules/${schedule!.id}/hook-token`, { method: "POST" }),
    onSuccess: (data) => {
      setToken(data.token);
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedule(schedule!.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
    },
    onError: (err) => toast.error(`Token not generated: ${err.message}`),
  });
  if (!schedule) {
    return (
      <div className="flex flex-col gap-1">
        <div className="text-sm font-medium">Fire URL</div>
        <p className="text-muted-foreground text-sm">Save the schedule first; then generate a token to start it from CI, a git host or a script.</p>
      </div>
    );
  }
  const url = `${origin}/api/hooks/${schedule.id}`;
  const hasToken = token !== null || schedule.hookTokenSet;
  const curl = `curl -X POST '${url}' \\\n  -H 'Authorization: Bearer ${token ?? "<token>"}' \\\n  -H 'Idempotency-Key: build-1234' \\\n  -H 'Content-Type: application/json' -d '{"ref":"main"}'`;
  const copy = (text: string, what: string) =>
    void navigator.clipboard?.writeText(text).then(
      () => toast.success(`${what} copied`),
      () => toast.error(`Could not copy the ${what.toLowerCase()}`),
    );
  return (
    <div className="flex flex-col gap-2" data-testid="fire-url">
      <div className="text-sm font-medium">Fire URL</div>
      <p className="text-muted-foreground text-sm">
        <code className="break-all">POST {url}</code> starts a run now (under the cap, like Run now). Its own token, not the app&rsquo;s; a JSON body (up
        to {HOOK_BODY_MAX_BYTES / 1024} KiB) becomes <code>{"{{trigger.body}}"}</code>; the same <code>Idempotency-Key</code> within 24 h starts one run.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <Button type="button" variant="outline" size="sm" onClick={() => rotate.mutate()} disabled={rotate.isPending} data-testid="hook-token-rotate">
          <KeyRound />
          {rotate.isPending ? "Generating…" : hasToken ? "Rotate token" : "Generate token"}
        </Button>
        <span className="text-muted-foreground text-xs" data-testid="hook-token-state">
          {token
            ? "Copy it now: it is shown only once."
            : schedule.hookTokenSet
              ? `A token exists (made ${new Date(schedule.hookTokenCreatedAt!).toLocaleString()}); rotating stops the old one.`
              : "No token yet: the fire URL refuses every call."}
        </span>
      </div>
      {token && (
        <div className="flex items-center gap-2">
          <Input readOnly value={token} aria-label="Fire URL token" data-testid="hook-token" className="font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
          <Button type="button" variant="outline" size="sm" onClick={() => copy(token, "Token")} aria-label="Copy token">
            <Copy />
          </Button>
        </div>
      )}
      {hasToken && (
        <div className="flex flex-col gap-1">
          {/* The copy button sits above the block, not over it: the long first line scrolls under nothing. */}
          <div className="flex items-center justify-between gap-2">
            <span className="text-muted-foreground text-xs">Example call</span>
            <Button type="button" variant="ghost" size="sm" onClick={() => copy(curl, "curl command")} aria-label="Copy curl command">
              <Copy />
              Copy
            </Button>
          </div>
          <pre className="bg-muted/60 overflow-x-auto rounded-md p-3 font-mono text-xs" data-testid="hook-curl">
            {curl}
          </pre>
        </div>
      )}
    </div>
  );
}
