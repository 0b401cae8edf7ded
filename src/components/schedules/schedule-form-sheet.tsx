"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useForm, useWatch, type FieldErrors } from "react-hook-form";
import { toast } from "sonner";
import type { z } from "zod";
import { Button } from "@/components/ui/button";
import { useUnsavedGuard } from "@/components/ui/unsaved-guard";
import { Form, FormControl, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Separator } from "@/components/ui/separator";
import { Sheet, SheetContent, SheetDescription, SheetFooter, SheetHeader, SheetTitle } from "@/components/ui/sheet";
import { Switch } from "@/components/ui/switch";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { queryKeys } from "@/lib/ui/queries";
import type { CollisionWarning, ScheduleDto } from "@/lib/ui/types";
import { ADVANCED_FIELDS, AdvancedSection } from "./form/advanced-section";
import { ConcurrencyGroupField } from "./concurrency-group-field";
import { AgentSection, TaskSection } from "./form/agent-section";
import { CalendarSection } from "./calendar-section";
import { CollisionBanner } from "./form/collision-banner";
import { diffBody, formFieldOf, initialValues, scheduleFormSchema, toBody, type ScheduleFormValues, type ScheduleTemplate } from "./form/schema";
import { WhenSection } from "./form/when-section";
import { TriggersSection } from "./triggers-section";
import { BudgetSection } from "./budget-section";
import { NotificationsSection } from "./notifications-section";

type SaveAnswer = { schedule: ScheduleDto; warnings: CollisionWarning[] };

/** Field order on screen: a failed submit focuses the first invalid one. */
const FIELD_ORDER: (keyof ScheduleFormValues)[] = ["name", "prompt", "schedule", "timezone", "runtimeId", "maxTurns", "maxRunDurationSec", ...ADVANCED_FIELDS, "paused"];

/**
 * The one create/edit form for schedules, in a Sheet, on react-hook-form + zod (the
 * server's field schemas, form/schema.ts). Parts, in this order with one separator between
 * each: task (name, prompt), when (schedule, preview, timezone), calendar, agent (runtime,
 * max turns, lease, concurrency group), "Advanced" policies, cost caps, triggers,
 * notifications, then the active switch. Create
 * POSTs the whole form, edit PATCHes the changed fields; client-side errors show before
 * any request, server `fields` errors under their inputs, and focus moves to the first
 * invalid field. A save that answers collision warnings keeps the sheet open on a banner
 * that takes focus ("Keep", "Edit time", "Use HH:MM" which saves the suggested time).
 * Closing with unsaved changes asks first; focus returns to the element that opened it.
 */
export function ScheduleFormSheet({
  open,
  onOpenChange,
  schedule,
  template,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The schedule to edit; null creates a new one. */
  schedule: ScheduleDto | null;
  /** Initial values for a new schedule (onboarding templates). */
  template?: ScheduleTemplate;
}) {
  const { close, requestClose, onCloseAutoFocus, setDirty, discardDialog } = useUnsavedGuard(open, onOpenChange, "this schedule");

  return (
    <>
      <Sheet open={open} onOpenChange={(o) => (o ? onOpenChange(true) : requestClose())}>
        <SheetContent
          className="w-full overflow-y-auto sm:max-w-xl"
          data-testid="schedule-sheet"
          onCloseAutoFocus={onCloseAutoFocus}
        >
          {open && (
            <ScheduleForm
              schedule={schedule}
              template={template}
              onDone={close}
              onCancel={requestClose}
              onDirtyChange={setDirty}
            />
          )}
        </SheetContent>
      </Sheet>
      {discardDialog}
    </>
  );
}

type FormOutput = z.output<typeof scheduleFormSchema>;

function ScheduleForm({
  schedule,
  template,
  onDone,
  onCancel,
  onDirtyChange,
}: {
  schedule: ScheduleDto | null;
  template?: ScheduleTemplate;
  onDone: () => void;
  onCancel: () => void;
  onDirtyChange: (dirty: boolean) => void;
}) {
  const queryClient = useQueryClient();
  // After the first save of a new schedule the sheet edits it: "Keep" / further saves PATCH.
  const [saved, setSaved] = useState<ScheduleDto | null>(schedule);
  const [warnings, setWarnings] = useState<CollisionWarning[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<ScheduleFormValues, unknown, FormOutput>({
    resolver: zodResolver(scheduleFormSchema),
    defaultValues: initialValues(schedule, template),
    shouldFocusError: true,
  });
  const { isDirty } = form.formState;
  // A template fills a new sheet: unsaved from the start.
  const changed = isDirty || (!saved && !!template);
  useEffect(() => {
    onDirtyChange(changed);
  }, [changed, onDirtyChange]);
  useEffect(() => {
    if (!changed) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [changed]);
  const timezone = useWatch({ control: form.control, name: "timezone" });

  const focusFirst = (fields: string[]) => {
    const first = FIELD_ORDER.find((f) => fields.includes(f));
    // "Advanced" opens on an error in it; focus after that render.
    if (first) setTimeout(() => form.setFocus(first), 0);
  };

  // A second submit while one is in flight (double click) must not create a second schedule.
  const inFlight = useRef(false);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      saved ? apiFetch<SaveAnswer>(`/api/schedules/${saved.id}`, { method: "PATCH", json: body }) : apiFetch<SaveAnswer>("/api/schedules", { method: "POST", json: body }),
    onSuccess: (data) => {
      setSaved(data.schedule);
      // The form now edits what was saved: clean, so closing doesn't ask.
      form.reset(initialValues(data.schedule));
      queryClient.setQueryData(queryKeys.schedule(data.schedule.id), { schedule: data.schedule });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
      if (data.warnings.length) {
        setWarnings(data.warnings);
        return;
      }
      toast.success(`Schedule "${data.schedule.name}" saved`);
      onDone();
    },
    onSettled: () => {
      inFlight.current = false;
    },
    onError: (err) => {
      if (err instanceof ApiError && err.fields) {
        const names: string[] = [];
        for (const [k, message] of Object.entries(err.fields)) {
          const name = formFieldOf(k);
          if (name === "form") setFormError(`${k} ${message}`);
          else {
            form.setError(name, { type: "server", message });
            names.push(name);
          }
        }
        focusFirst(names);
      } else {
        setFormError(err.message);
      }
    },
  });

  const send = (body: Record<string, unknown>) => {
    if (inFlight.current) return;
    setWarnings([]);
    setFormError(null);
    if (saved && !Object.keys(body).length) {
      toast.success("No changes to save");
      onDone();
      return;
    }
    inFlight.current = true;
    save.mutate(body);
  };

  const onValid = () => {
    const values = form.getValues();
    send(saved ? diffBody(values, saved) : toBody(values));
  };
  const onInvalid = (errors: FieldErrors<ScheduleFormValues>) => focusFirst(Object.keys(errors));

  const editTime = () => {
    setWarnings([]);
    setTimeout(() => form.setFocus("schedule"), 0);
  };

  /** "Use 08:55": the suggested free minute, saved at once. */
  const useSuggestion = (cronExpression: string) => {
    form.setValue("scheduleMode", "cron");
    form.setValue("schedule", cronExpression);
    send({ cronExpression });
  };

  const warning = warnings[0];

  return (
    <Form {...form}>
      <form onSubmit={(e) => void form.handleSubmit(onValid, onInvalid)(e)} className="flex min-h-full flex-col" noValidate>
        <SheetHeader>
          <SheetTitle>{saved ? `Edit “${saved.name}”` : "New schedule"}</SheetTitle>
          <SheetDescription>An agent run fired on a cron schedule or after another schedule, with max turns and a lease.</SheetDescription>
        </SheetHeader>

        <div className="flex flex-col gap-5 px-4 pb-4">
          {warning && (
            <CollisionBanner
              warning={warning}
              timezone={timezone}
              pending={save.isPending}
              onKeep={() => {
                toast.success(`Schedule "${saved?.name}" saved`);
                onDone();
              }}
              onEditTime={editTime}
              onUseSuggestion={useSuggestion}
              onUseJitter={(jitterSec) => send({ jitterSec })}
            />
          )}

          {/* One separator between sections: what it does, when (and its calendar), what runs it, then the rest. */}
          <TaskSection />
          <Separator />
          <WhenSection />
          <Separator />
          <CalendarSection schedule={saved} onSaved={(s) => (setSaved(s), form.reset(initialValues(s)))} />
          <Separator />
          <AgentSection excludeScheduleId={saved?.id} />
          <ConcurrencyGroupField />
          <Separator />
          <AdvancedSection />
          <Separator />
          <BudgetSection saved={saved} />
          <Separator />
          <TriggersSection schedule={saved} />
          <Separator />
          <NotificationsSection />

          {(!saved || saved.status === "active" || saved.status === "paused") && (
            <>
              <Separator />
              <FormField
                control={form.control}
                name="paused"
                render={({ field }) => (
                  <FormItem className="flex flex-wrap items-center gap-3">
                    <FormControl>
                      <Switch ref={field.ref} checked={!field.value} onCheckedChange={(on) => field.onChange(!on)} />
                    </FormControl>
                    <FormLabel>{field.value ? "Paused" : "Active"}</FormLabel>
                    <FormMessage className="basis-full" />
                  </FormItem>
                )}
              />
            </>
          )}

          {formError && (
            <p role="alert" className="text-destructive text-sm">
              {formError}
            </p>
          )}
        </div>

        <SheetFooter className="bg-background sticky bottom-0 mt-auto flex-row justify-end border-t">
          <Button type="button" variant="outline" onClick={warning ? onDone : onCancel}>
            {warning ? "Close" : "Cancel"}
          </Button>
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : saved ? "Save changes" : "Create schedule"}
          </Button>
        </SheetFooter>
      </form>
    </Form>
  );
}
