"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { Textarea } from "@/components/ui/textarea";
import { RUNTIME_KINDS, type RuntimeKind } from "@/lib/db/constants";
import { joinCommandLine, splitCommandLine } from "@/lib/runtimes/command-line";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { queryKeys } from "@/lib/ui/queries";
import type { RuntimeDto } from "@/lib/ui/types";

const KIND_LABELS: Record<RuntimeKind, string> = {
  command: "Command (any CLI agent)",
  "claude-agent-sdk": "Claude Agent SDK",
  "openai-compatible": "OpenAI-compatible API",
};
const PERMISSION_MODES = ["dontAsk", "default", "acceptEdits", "plan", "bypassPermissions"] as const;
const UNSET = "__unset__";

interface FormState {
  name: string;
  kind: RuntimeKind;
  isDefault: boolean;
  // command: one command line, split into argv with shell-words rules
  command: string;
  promptVia: "stdin" | "arg";
  outputFormat: "text" | "claude-stream-json" | "codex-json";
  cwd: string;
  env: string;
  // claude-agent-sdk
  model: string;
  allowedTools: string;
  permissionMode: string;
  baseUrlEnv: string;
  apiKeyEnv: string;
  // openai-compatible
  baseUrl: string;
  allowShell: boolean;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

function initial(r: RuntimeDto | null): FormState {
  const c = (r?.config ?? {}) as Record<string, unknown>;
  return {
    name: r?.name ?? "",
    kind: r?.kind ?? "command",
    isDefault: r?.isDefault ?? false,
    command: Array.isArray(c.command) ? joinCommandLine(c.command as string[]) : "",
    promptVia: c.promptVia === "arg" ? "arg" : "stdin",
    outputFormat: c.outputFormat === "claude-stream-json" || c.outputFormat === "codex-json" ? c.outputFormat : "text",
    cwd: str(c.cwd),
    env:
      c.env && typeof c.env === "object"
        ? Object.entries(c.env as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join("\n")
        : "",
    model: str(c.model),
    allowedTools: Array.isArray(c.allowedTools) ? (c.allowedTools as string[]).join(", ") : "",
    permissionMode: str(c.permissionMode) || UNSET,
    baseUrlEnv: str(c.baseUrlEnv),
    apiKeyEnv: str(c.apiKeyEnv),
    baseUrl: str(c.baseUrl),
    allowShell: c.allowShell === true,
  };
}

/** The config keys this form edits, per kind; any other key of a stored config is kept as it is. */
const FORM_KEYS: Record<RuntimeKind, string[]> = {
  command: ["command", "promptVia", "outputFormat", "cwd", "env"],
  "claude-agent-sdk": ["model", "cwd", "allowedTools", "permissionMode", "baseUrl", "baseUrlEnv", "apiKeyEnv", "env"],
  "openai-compatible": ["baseUrl", "model", "apiKeyEnv", "cwd", "allowShell"],
};

/** The stored config's keys this form doesn't edit (kept on save while the kind is unchanged). */
function untouchedKeys(f: FormState, original: RuntimeDto | null): Record<string, unknown> {
  if (!original || original.kind !== f.kind) return {};
  const config = (original.config ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(config).filter(([k]) => !FORM_KEYS[f.kind].includes(k)));
}

/** `NAME=value` lines → an env object (a line without `=` names an empty value). */
function parseEnvLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf("=");
        return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1)];
      }),
  );
}

/** The kind-specific `config` object of API.md "Runtimes"; empty optional fields are left out. */
function toConfig(f: FormState, original: RuntimeDto | null): Record<string, unknown> {
  const opt = (k: string, v: string) => (v.trim() ? { [k]: v.trim() } : {});
  const env = parseEnvLines(f.env);
  const kept = untouchedKeys(f, original);
  if (f.kind === "command") {
    return {
      ...kept,
      command: splitCommandLine(f.command).argv ?? [],
      promptVia: f.promptVia,
      outputFormat: f.outputFormat,
      ...opt("cwd", f.cwd),
      ...(Object.keys(env).length ? { env } : {}),
    };
  }
  if (f.kind === "claude-agent-sdk") {
    const tools = f.allowedTools
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    return {
      ...kept,
      ...opt("model", f.model),
      ...opt("cwd", f.cwd),
      ...(tools.length ? { allowedTools: tools } : {}),
      ...(f.permissionMode !== UNSET ? { permissionMode: f.permissionMode } : {}),
      ...opt("baseUrl", f.baseUrl),
      ...opt("baseUrlEnv", f.baseUrlEnv),
      ...opt("apiKeyEnv", f.apiKeyEnv),
      ...(Object.keys(env).length ? { env } : {}),
    };
  }
  return {
    ...kept,
    baseUrl: f.baseUrl.trim(),
    model: f.model.trim(),
    ...opt("apiKeyEnv", f.apiKeyEnv),
    ...opt("cwd", f.cwd),
    ...(f.allowShell ? { allowShell: true } : {}),
  };
}

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {children}
      {hint && <div className="text-muted-foreground text-xs">{hint}</div>}
      {error && (
        <p className="text-destructive text-xs" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** The agent's extra environment: `NAME=value` per line; `${NAME}` passes a server variable (docs/runtimes.md). */
function EnvField({ id, value, error, onChange }: { id: string; value: string; error?: string; onChange: (v: string) => void }) {
  return (
    <Field id={id} label="Environment (NAME=value per line)" error={error} hint={<>Agents get only PATH, HOME, LANG, TERM, TMPDIR, USER and these. Pass a key by reference: <code>{"ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY}"}</code>.</>}>
      <Textarea id={id} className="font-mono" rows={2} value={value} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}

/** The argv a command line becomes, one item per argument, as the runtime will spawn it. */
function ArgvPreview({ id, line }: { id: string; line: string }) {
  const split = splitCommandLine(line);
  const argv = split.argv ?? [];
  return (
    <div id={id} className="bg-muted/50 -mt-2 rounded-md border p-2 text-xs" aria-live="polite" data-testid="argv-preview">
      {split.error ? (
        <p className="text-destructive">{split.error}</p>
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

/** Create/edit dialog for a runtime, with a config form per kind. Server `fields` errors show under their inputs. */
export function RuntimeFormDialog({ open, onOpenChange, runtime }: { open: boolean; onOpenChange: (o: boolean) => void; runtime: RuntimeDto | null }) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="sm:max-w-xl" data-testid="runtime-dialog">
        {open && <RuntimeForm runtime={runtime} onDone={() => onOpenChange(false)} />}
      </DialogContent>
    </Dialog>
  );
}

function RuntimeForm({ runtime, onDone }: { runtime: RuntimeDto | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const uid = useId();
  const fid = (n: string) => `${uid}-${n}`;
  const [f, setF] = useState<FormState>(() => initial(runtime));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((x) => ({ ...x, [k]: v }));
  const err = (k: string) => errors[`config.${k}`] || errors[k] || undefined;

  const save = useMutation({
    mutationFn: () => {
      const body = { name: f.name, kind: f.kind, config: toConfig(f, runtime), isDefault: f.isDefault };
      return runtime
        ? apiFetch<{ runtime: RuntimeDto }>(`/api/runtimes/${runtime.id}`, { method: "PATCH", json: body })
        : apiFetch<{ runtime: RuntimeDto }>("/api/runtimes", { method: "POST", json: body });
    },
    onSuccess: (data) => {
      toast.success(`Runtime "${data.runtime.name}" saved`);
      void queryClient.invalidateQueries({ queryKey: queryKeys.runtimes });
      onDone();
    },
    onError: (e) => {
      setErrors(e instanceof ApiError && e.fields ? e.fields : { form: e.message });
      if (e instanceof ApiError && e.fields?.["config.command"]) document.getElementById(fid("command"))?.focus();
    },
  });
  const shown = new Set(["name", "kind", "isDefault", "config", "command", "promptVia", "outputFormat", "cwd", "env", "model", "allowedTools", "permissionMode", "baseUrlEnv", "apiKeyEnv", "baseUrl", "allowShell"]);
  const otherErrors = Object.entries(errors).filter(([k]) => !shown.has(k.replace(/^config\./, "").split(".")[0]));

  return (
    <form
      className="flex flex-col gap-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const split = f.kind === "command" ? splitCommandLine(f.command) : null;
        if (split && (split.error || !split.argv?.length)) {
          setErrors({ command: split.error ?? "must name the executable" });
          document.getElementById(fid("command"))?.focus();
          return;
        }
        setErrors({});
        save.mutate();
      }}
    >
      <DialogHeader>
        <DialogTitle>{runtime ? `Edit runtime “${runtime.name}”` : "New runtime"}</DialogTitle>
        <DialogDescription>Where agent runs execute. Secrets never go here: name the environment variable that holds a key.</DialogDescription>
      </DialogHeader>
      <div className="grid grid-cols-2 gap-4">
        <Field id={fid("name")} label="Name" error={errors.name}>
          <Input id={fid("name")} value={f.name} onChange={(e) => set("name", e.target.value)} aria-invalid={!!errors.name} />
        </Field>
        <Field id={fid("kind")} label="Kind" error={errors.kind}>
          <Select value={f.kind} onValueChange={(v) => set("kind", v as RuntimeKind)}>
            <SelectTrigger id={fid("kind")} data-testid="runtime-kind">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {RUNTIME_KINDS.map((k) => (
                <SelectItem key={k} value={k}>
                  {KIND_LABELS[k]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </Field>
      </div>

      {f.kind === "command" && (
        <>
          <Field
            id={fid("command")}
            label="Command line"
            error={err("command")}
            hint={
              <>
                Paste it as you would type it in a shell: quotes group words, but no shell runs it (no pipes, no <code>$VAR</code> expansion). With
                &ldquo;prompt via argument&rdquo;, an argument <code>{"{prompt}"}</code> is replaced by the prompt.
              </>
            }
          >
            <Input
              id={fid("command")}
              className="font-mono"
              autoComplete="off"
              spellCheck={false}
              placeholder="claude -p --output-format stream-json --verbose"
              value={f.command}
              onChange={(e) => {
                set("command", e.target.value);
                setErrors((x) => ({ ...x, command: "", "config.command": "" }));
              }}
              aria-invalid={!!err("command")}
              aria-describedby={fid("argv")}
            />
          </Field>
          <ArgvPreview id={fid("argv")} line={f.command} />
          <div className="grid grid-cols-2 gap-4">
            <Field id={fid("promptVia")} label="Prompt via" error={err("promptVia")}>
              <Select value={f.promptVia} onValueChange={(v) => set("promptVia", v as FormState["promptVia"])}>
                <SelectTrigger id={fid("promptVia")}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="stdin">stdin</SelectItem>
                  <SelectItem value="arg">argument ({"{prompt}"})</SelectItem>
                </SelectContent>
              </Select>
            </Field>
            <Field id={fid("outputFormat")} label="Output format" error={err("outputFormat")}>
              <Select value={f.outputFormat} onValueChange={(v) => set("outputFormat", v as FormState["outputFormat"])}>
                <SelectTrigger id={fid("outputFormat")}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="text">Plain text</SelectItem>
                  <SelectItem value="claude-stream-json">Claude Code stream-json</SelectItem>
                  <SelectItem value="codex-json">Codex exec --json</SelectItem>
                </SelectContent>
              </Select>
            </Field>
          </div>
          <Field id={fid("cwd")} label="Working directory" error={err("cwd")}>
            <Input id={fid("cwd")} value={f.cwd} onChange={(e) => set("cwd", e.target.value)} placeholder="server's working directory" />
          </Field>
          <EnvField id={fid("env")} value={f.env} error={err("env")} onChange={(v) => set("env", v)} />
        </>
      )}

      {f.kind === "claude-agent-sdk" && (
        <>
          <div className="grid grid-cols-2 gap-4">
            <Field id={fid("model")} label="Model" error={err("model")}>
              <Input id={fid("model")} value={f.model} onChange={(e) => set("model", e.target.value)} placeholder="SDK default" />
            </Field>
            <Field id={fid("permissionMode")} label="Permission mode" error={err("permissionMode")}>
              <Select value={f.permissionMode} onValueChange={(v) => set("permissionMode", v)}>
                <SelectTrigger id={fid("permissionMode")}>
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value={UNSET}>Default (dontAsk: tools outside the list are denied)</SelectItem>
                  {PERMISSION_MODES.map((m) => (
                    <SelectItem key={m} value={m}>
                      {m}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            </Field>
          </div>
          <Field id={fid("allowedTools")} label="Allowed tools (comma-separated)" error={err("allowedTools")}>
            <Input id={fid("allowedTools")} value={f.allowedTools} onChange={(e) => set("allowedTools", e.target.value)} placeholder="Read, Grep, Bash" />
          </Field>
          <Field id={fid("cwd")} label="Working directory" error={err("cwd")}>
            <Input id={fid("cwd")} value={f.cwd} onChange={(e) => set("cwd", e.target.value)} />
          </Field>
          <Field id={fid("baseUrl")} label="Messages API base URL" error={err("baseUrl")} hint="Optional; wins over the base URL env variable.">
            <Input id={fid("baseUrl")} value={f.baseUrl} onChange={(e) => set("baseUrl", e.target.value)} placeholder="https://api.anthropic.com" />
          </Field>
          <div className="grid grid-cols-2 gap-4">
            <Field id={fid("apiKeyEnv")} label="API key env variable" error={err("apiKeyEnv")}>
              <Input id={fid("apiKeyEnv")} value={f.apiKeyEnv} onChange={(e) => set("apiKeyEnv", e.target.value)} placeholder="ANTHROPIC_API_KEY" />
            </Field>
            <Field id={fid("baseUrlEnv")} label="Base URL env variable" error={err("baseUrlEnv")}>
              <Input id={fid("baseUrlEnv")} value={f.baseUrlEnv} onChange={(e) => set("baseUrlEnv", e.target.value)} placeholder="ANTHROPIC_BASE_URL" />
            </Field>
          </div>
          <EnvField id={fid("env")} value={f.env} error={err("env")} onChange={(v) => set("env", v)} />
        </>
      )}

      {f.kind === "openai-compatible" && (
        <>
          <Field id={fid("baseUrl")} label="Base URL" error={err("baseUrl")}>
            <Input id={fid("baseUrl")} value={f.baseUrl} onChange={(e) => set("baseUrl", e.target.value)} placeholder="http://127.0.0.1:11434/v1" />
          </Field>
          <div className="grid grid-cols-2 gap-4">
            <Field id={fid("model")} label="Model" error={err("model")}>
              <Input id={fid("model")} value={f.model} onChange={(e) => set("model", e.target.value)} placeholder="llama3.1" />
            </Field>
            <Field id={fid("apiKeyEnv")} label="API key env variable" error={err("apiKeyEnv")}>
              <Input id={fid("apiKeyEnv")} value={f.apiKeyEnv} onChange={(e) => set("apiKeyEnv", e.target.value)} placeholder="optional" />
            </Field>
          </div>
          <Field id={fid("cwd")} label="Working directory" error={err("cwd")} hint="Where the run_shell tool runs, when allowed.">
            <Input id={fid("cwd")} value={f.cwd} onChange={(e) => set("cwd", e.target.value)} placeholder="server's working directory" />
          </Field>
          <div className="flex items-center gap-3">
            <Switch id={fid("allowShell")} checked={f.allowShell} onCheckedChange={(v) => set("allowShell", v)} />
            <Label htmlFor={fid("allowShell")}>Let the model run shell commands (run_shell tool)</Label>
          </div>
          {err("allowShell") && (
            <p className="text-destructive text-xs" role="alert">
              {err("allowShell")}
            </p>
          )}
        </>
      )}

      <div className="flex items-center gap-3">
        <Switch id={fid("isDefault")} checked={f.isDefault} onCheckedChange={(v) => set("isDefault", v)} />
        <Label htmlFor={fid("isDefault")}>Default runtime (used by schedules and chats without one)</Label>
      </div>

      {(errors.form || errors.config || otherErrors.length > 0) && (
        <div role="alert" className="text-destructive text-sm">
          {errors.form ?? errors.config}
          {otherErrors.map(([k, v]) => (
            <div key={k}>
              {k}: {v}
            </div>
          ))}
        </div>
      )}

      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : runtime ? "Save runtime" : "Create runtime"}
        </Button>
      </DialogFooter>
    </form>
  );
}
