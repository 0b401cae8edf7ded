"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { useForm, useFormContext, useWatch, type FieldErrors } from "react-hook-form";
import { toast } from "sonner";
import type { z } from "zod";
import { Button } from "@/components/ui/button";
import { useUnsavedGuard } from "@/components/ui/unsaved-guard";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Form, FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage, useFormField } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import { RUNTIME_KINDS, type RuntimeKind } from "@/lib/db/constants";
import { splitCommandLine } from "@/lib/runtimes/command-line";
import { CLAUDE_PERMISSION_MODES } from "@/lib/runtimes/config";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { queryKeys } from "@/lib/ui/queries";
import type { RuntimeDto } from "@/lib/ui/types";
import { FIELD_ORDER, formFieldOf, initialValues, runtimeFormSchema, toConfig, UNSET, type RuntimeFormValues } from "./runtime-form/schema";

const KIND_LABELS: Record<RuntimeKind, string> = {
  command: "Command (any CLI agent)",
  "claude-agent-sdk": "Claude Agent SDK",
  "openai-compatible": "OpenAI-compatible API",
};

type TextField = "name" | "command" | "cwd" | "env" | "model" | "allowedTools" | "baseUrlEnv" | "apiKeyEnv" | "baseUrl" | "runnerLabels" | "maxConcurrent";

/** One text input (or textarea) with its label, hint and error message. */
function TextInput({ name, label, hint, placeholder, mono, textarea }: { name: TextField; label: string; hint?: ReactNode; placeholder?: string; mono?: boolean; textarea?: boolean }) {
  const form = useFormContext<RuntimeFormValues>();
  return (
    <FormField
      control={form.control}
      name={name}
      render={({ field }) => (
        <FormItem>
          <FormLabel>{label}</FormLabel>
          <FormControl>{textarea ? <Textarea {...field} rows={2} className={mono ? "font-mono" : undefined} /> : <Input {...field} placeholder={placeholder} autoComplete="off" className={mono ? "font-mono" : undefined} />}</FormControl>
          {hint && <FormDescription>{hint}</FormDescription>}
          <FormMessage />
        </FormItem>
      )}
    />
  );
}

/** One select with its label and error message. */
function SelectInput({ name, label, options, testId }: { name: "kind" | "promptVia" | "outputFormat" | "permissionMode"; label: string; options: [string, string][]; testId?: string }) {
  const form = useFormContext<RuntimeFormValues>();
  return (
    <FormField
      control={form.control}
      name={name}
      render={({ field }) => (
        <FormItem>
          <FormLabel>{label}</FormLabel>
          <Select value={field.value} onValueChange={field.onChange}>
            <FormControl>
              <SelectTrigger ref={field.ref} onBlur={field.onBlur} data-testid={testId} className="w-full">
                <SelectValue />
              </SelectTrigger>
            </FormControl>
            <SelectContent>
              {options.map(([value, text]) => (
                <SelectItem key={value} value={value}>
                  {text}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
          <FormMessage />
        </FormItem>
      )}
    />
  );
}

/** A switch with its label and error message. */
function SwitchInput({ name, label }: { name: "allowShell" | "isDefault"; label: string }) {
  const form = useFormContext<RuntimeFormValues>();
  return (
    <FormField
      control={form.control}
      name={name}
      render={({ field }) => (
        <FormItem className="flex flex-wrap items-center gap-3">
          <FormControl>
            <Switch ref={field.ref} checked={field.value} onCheckedChange={field.onChange} />
          </FormControl>
          <FormLabel className="min-w-0 flex-1">{label}</FormLabel>
          <FormMessage className="basis-full" />
        </FormItem>
      )}
    />
  );
}

/** The agent's extra environment: `NAME=value` per line; `${NAME}` passes a server variable (docs/runtimes.md). */
function EnvInput() {
  return (
    <TextInput
      name="env"
      label="Environment (NAME=value per line)"
      mono
      textarea
      hint={
        <>
          Agents get only PATH, HOME, LANG, TERM, TMPDIR, USER and these. Pass a key by reference: <code>{"ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY}"}</code>.
        </>
      }
    />
  );
}

/** The argv a command line becomes, one item per argument, as the runtime will spawn it (inside the command line's FormItem). */
function ArgvPreview() {
  const line = useWatch<RuntimeFormValues, "command">({ name: "command" });
  const { error } = useFormField();
  const split = splitCommandLine(line);
  const argv = split.argv ?? [];
  return (
    <div className="bg-muted/50 text-foreground rounded-md border p-2 text-xs" aria-live="polite" data-testid="argv-preview">
      {split.error ? (
        // Once a submit put the same message under the field, don't repeat it here.
        <p className={error?.message === split.error ? "text-muted-foreground" : "text-destructive"}>{error?.message === split.error ? "Nothing to run until the line is fixed." : split.error}</p>
      ) : !argv.length ? (
        <p className="text-muted-foreground">The program and its arguments appear here, one item each.</p>
      ) : (
        <>
          <p className="text-muted-foreground mb-1">
            Runs <span className="text-foreground font-medium">{argv[0]}</span> with {argv.length - 1} argument{argv.length === 2 ? "" : "s"}:
          </p>
          <ol className="flex flex-wrap gap-1" aria-label="Arguments it will run">
            {argv.map((a, i) => (
              <li key={i} data-testid="argv-item" className="bg-background rounded border px-1.5 py-0.5 font-mono break-all">
                {a === "" ? "\u00a0" : a}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

/** command: the pasted command line (with its argv preview as the description), prompt and output format, cwd, env. */
function CommandFields() {
  const form = useFormContext<RuntimeFormValues>();
  return (
    <>
      <FormField
        control={form.control}
        name="command"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Command line</FormLabel>
            <FormControl>
              <Input {...field} className="font-mono" autoComplete="off" spellCheck={false} placeholder="claude -p --output-format stream-json --verbose" />
            </FormControl>
            <FormMessage />
            <FormDescription className="flex flex-col gap-2">
              <span>
                Paste it as you would type it in a shell: quotes group words, but no shell runs it (no pipes, no <code>$VAR</code> expansion). With
                &ldquo;prompt via argument&rdquo;, an argument <code>{"{prompt}"}</code> is replaced by the prompt.
              </span>
              <ArgvPreview />
            </FormDescription>
          </FormItem>
        )}
      />
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <SelectInput
          name="promptVia"
          label="Prompt via"
          options={[
            ["stdin", "stdin"],
            ["arg", "argument ({prompt})"],
          ]}
        />
        <SelectInput
          name="outputFormat"
          label="Output format"
          options={[
            ["text", "Plain text"],
            ["claude-stream-json", "Claude Code stream-json"],
            ["codex-json", "Codex exec --json"],
          ]}
        />
      </div>
      <TextInput name="cwd" label="Working directory" placeholder="server's working directory" />
      <EnvInput />
    </>
  );
}

function ClaudeAgentSdkFields() {
  return (
    <>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <TextInput name="model" label="Model" placeholder="SDK default" />
        <SelectInput
          name="permissionMode"
          label="Permission mode"
          options={[[UNSET, "Default (dontAsk: tools outside the list are denied)"], ...CLAUDE_PERMISSION_MODES.map((m): [string, string] => [m, m])]}
        />
      </div>
      <TextInput name="allowedTools" label="Allowed tools (comma-separated)" placeholder="Read, Grep, Bash" />
      <TextInput name="cwd" label="Working directory" />
      <TextInput name="baseUrl" label="Messages API base URL" hint="Optional; wins over the base URL env variable." placeholder="https://api.anthropic.com" />
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <TextInput name="apiKeyEnv" label="API key env variable" placeholder="ANTHROPIC_API_KEY" />
        <TextInput name="baseUrlEnv" label="Base URL env variable" placeholder="ANTHROPIC_BASE_URL" />
      </div>
      <EnvInput />
    </>
  );
}

function OpenAiCompatibleFields() {
  return (
    <>
      <TextInput name="baseUrl" label="Base URL" placeholder="http://127.0.0.1:11434/v1" />
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <TextInput name="model" label="Model" placeholder="llama3.1" />
        <TextInput name="apiKeyEnv" label="API key env variable" placeholder="optional" />
      </div>
      <TextInput name="cwd" label="Working directory" hint="Where the run_shell tool runs, when allowed." placeholder="server's working directory" />
      <SwitchInput name="allowShell" label="Let the model run shell commands (run_shell tool)" />
    </>
  );
}

/**
 * Create/edit dialog for a runtime, on react-hook-form + zod (runtime-form/schema.ts: the
 * server's config shapes). A pasted command line is split into argv (shown as it will
 * run); client-side errors show before any request, server `fields` errors (the executable
 * check, a literal secret) under their inputs, and focus moves to the first invalid field.
 * Stored config keys the form doesn't edit are kept. Closing with unsaved changes asks
 * first; focus returns to the element that opened the dialog.
 */
export function RuntimeFormDialog({ open, onOpenChange, runtime }: { open: boolean; onOpenChange: (o: boolean) => void; runtime: RuntimeDto | null }) {
  const { close, requestClose, onCloseAutoFocus, setDirty, discardDialog } = useUnsavedGuard(open, onOpenChange, "this runtime");

  return (
    <>
      <Dialog open={open} onOpenChange={(o) => (o ? onOpenChange(true) : requestClose())}>
        <DialogContent
          className="max-h-[calc(100dvh-2rem)] overflow-y-auto sm:max-w-xl"
          data-testid="runtime-dialog"
          onCloseAutoFocus={onCloseAutoFocus}
        >
          {open && (
            <RuntimeForm
              runtime={runtime}
              onDone={close}
              onCancel={requestClose}
              onDirtyChange={setDirty}
            />
          )}
        </DialogContent>
      </Dialog>
      {discardDialog}
    </>
  );
}

type FormOutput = z.output<typeof runtimeFormSchema>;

function RuntimeForm({ runtime, onDone, onCancel, onDirtyChange }: { runtime: RuntimeDto | null; onDone: () => void; onCancel: () => void; onDirtyChange: (dirty: boolean) => void }) {
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string[]>([]);
  const form = useForm<RuntimeFormValues, unknown, FormOutput>({
    resolver: zodResolver(runtimeFormSchema),
    defaultValues: initialValues(runtime),
  });
  const { isDirty } = form.formState;
  useEffect(() => {
    onDirtyChange(isDirty);
  }, [isDirty, onDirtyChange]);
  useEffect(() => {
    if (!isDirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [isDirty]);
  const kind = useWatch({ control: form.control, name: "kind" });

  const focusFirst = (fields: string[]) => {
    const first = FIELD_ORDER.find((f) => fields.includes(f));
    if (first) setTimeout(() => form.setFocus(first), 0);
  };

  const save = useMutation({
    mutationFn: (values: RuntimeFormValues) => {
      const body = { name: values.name, kind: values.kind, config: toConfig(values, runtime), isDefault: values.isDefault };
      return runtime
        ? apiFetch<{ runtime: RuntimeDto }>(`/api/runtimes/${runtime.id}`, { method: "PATCH", json: body })
        : apiFetch<{ runtime: RuntimeDto }>("/api/runtimes", { method: "POST", json: body });
    },
    onSuccess: (data) => {
      form.reset(initialValues(data.runtime));
      toast.success(`Runtime "${data.runtime.name}" saved`);
      void queryClient.invalidateQueries({ queryKey: queryKeys.runtimes });
      onDone();
    },
    onError: (err) => {
      if (!(err instanceof ApiError && err.fields)) {
        setFormError([err.message]);
        return;
      }
      const names: string[] = [];
      const rest: string[] = [];
      for (const [k, message] of Object.entries(err.fields)) {
        const name = formFieldOf(k);
        if (name === "form") rest.push(`${k} ${message}`);
        else if (!names.includes(name)) {
          form.setError(name, { type: "server", message });
          names.push(name);
        }
      }
      setFormError(rest);
      focusFirst(names);
    },
  });

  const onValid = () => {
    if (save.isPending) return;
    setFormError([]);
    save.mutate(form.getValues());
  };
  const onInvalid = (errors: FieldErrors<RuntimeFormValues>) => focusFirst(Object.keys(errors));

  return (
    <Form {...form}>
      <form className="flex min-w-0 flex-col gap-4" noValidate onSubmit={(e) => void form.handleSubmit(onValid, onInvalid)(e)}>
        <DialogHeader>
          <DialogTitle>{runtime ? `Edit runtime “${runtime.name}”` : "New runtime"}</DialogTitle>
          <DialogDescription>Where agent runs execute. Secrets never go here: name the environment variable that holds a key.</DialogDescription>
        </DialogHeader>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <TextInput name="name" label="Name" />
          <SelectInput name="kind" label="Kind" testId="runtime-kind" options={RUNTIME_KINDS.map((k): [string, string] => [k, KIND_LABELS[k]])} />
        </div>

        {kind === "command" && <CommandFields />}
        {kind === "claude-agent-sdk" && <ClaudeAgentSdkFields />}
        {kind === "openai-compatible" && <OpenAiCompatibleFields />}

        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <TextInput name="runnerLabels" label="Runs only on runners labelled" placeholder="any runner" hint="Comma-separated; a runner needs every label (AGENTCRON_RUNNER_LABELS)." />
          <TextInput name="maxConcurrent" label="Most runs at once" placeholder="no runtime cap" hint="Across every runner, e.g. 1 for a local GPU model." />
        </div>

        <SwitchInput name="isDefault" label="Default runtime (used by schedules and chats without one)" />

        {formError.length > 0 && (
          <div role="alert" className="text-destructive text-sm" data-testid="runtime-form-error">
            {formError.map((m) => (
              <p key={m}>{m}</p>
            ))}
          </div>
        )}

        <DialogFooter>
          <Button type="button" variant="outline" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : runtime ? "Save runtime" : "Create runtime"}
          </Button>
        </DialogFooter>
      </form>
    </Form>
  );
}
