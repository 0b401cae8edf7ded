"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useFormContext, useWatch } from "react-hook-form";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import type { ConcurrencyGroupDto } from "@/lib/api-types";
import { apiFetch } from "@/lib/ui/api-client";
import type { ScheduleFormValues } from "./form/schema";

/** TanStack key of GET /api/concurrency-groups. */
export const concurrencyGroupsKey = ["concurrency-groups"] as const;

const fetchGroups = () => apiFetch<{ groups: ConcurrencyGroupDto[] }>("/api/concurrency-groups");

/**
 * The schedule sheet's concurrency group (issue 12 item 4): a group name (existing groups
 * offered), the group's cap and load, and — when the group has no cap yet, or to change it —
 * the cap set in place (PUT /api/concurrency-groups/:name, which applies to every schedule in
 * the group at once). The name is part of the schedule's form; the cap is saved on its own.
 */
export function ConcurrencyGroupField() {
  const form = useFormContext<ScheduleFormValues>();
  const name = (useWatch({ control: form.control, name: "concurrencyGroup" }) ?? "").trim();
  const groups = useQuery({ queryKey: concurrencyGroupsKey, queryFn: fetchGroups });
  const listId = useId();
  const group = groups.data?.groups.find((g) => g.name === name);

  return (
    <FormField
      control={form.control}
      name="concurrencyGroup"
      render={({ field }) => (
        <FormItem>
          <FormLabel>Concurrency group</FormLabel>
          <FormControl>
            <Input {...field} list={listId} placeholder="none" autoComplete="off" data-testid="concurrency-group-input" />
          </FormControl>
          <datalist id={listId}>
            {groups.data?.groups.map((g) => (
              <option key={g.name} value={g.name}>
                {g.maxConcurrent == null ? "no cap" : `at most ${g.maxConcurrent} at once`}
              </option>
            ))}
          </datalist>
          <FormDescription>Schedules in one group share its cap, e.g. two schedules touching one repository never run together.</FormDescription>
          {name && <GroupCap key={name} name={name} group={group} />}
          <FormMessage />
        </FormItem>
      )}
    />
  );
}

/** The chosen group's cap and load, with the cap editable in place. */
function GroupCap({ name, group }: { name: string; group: ConcurrencyGroupDto | undefined }) {
  const queryClient = useQueryClient();
  const [cap, setCap] = useState(group?.maxConcurrent != null ? String(group.maxConcurrent) : "1");
  const valid = /^[0-9]+$/.test(cap) && Number(cap) >= 1 && Number(cap) <= 1000;
  const save = useMutation({
    mutationFn: () => apiFetch<{ group: ConcurrencyGroupDto }>(`/api/concurrency-groups/${encodeURIComponent(name)}`, { method: "PUT", json: { maxConcurrent: Number(cap) } }),
    onSuccess: (data) => {
      toast.success(`Group "${data.group.name}": at most ${data.group.maxConcurrent} at once`);
      void queryClient.invalidateQueries({ queryKey: concurrencyGroupsKey });
    },
    onError: (e) => toast.error(`Could not set the cap: ${e.message}`),
  });
  return (
    <div className="bg-muted/40 flex flex-col gap-2 rounded-md border p-3 text-sm" data-testid="concurrency-group-cap">
      <p className="text-muted-foreground">
        {group?.maxConcurrent != null ? (
          <>
            <span className="text-foreground font-medium">At most {group.maxConcurrent} at once</span> in “{name}” · {group.running} running, {group.queued} queued,{" "}
            {group.schedules} schedule{group.schedules === 1 ? "" : "s"}
          </>
        ) : (
          <>“{name}” has no cap yet: its runs are held only by the global cap until you set one.</>
        )}
      </p>
      <div className="flex flex-wrap items-end gap-2">
        <label className="flex flex-col gap-1 text-xs">
          <span>Group cap</span>
          <Input
            type="number"
            min={1}
            max={1000}
            value={cap}
            onChange={(e) => setCap(e.target.value)}
            className="h-8 w-24"
            aria-label={`Cap of group ${name}`}
            aria-invalid={!valid}
            data-testid="concurrency-group-cap-input"
          />
        </label>
        <Button type="button" size="sm" variant="outline" disabled={!valid || save.isPending} onClick={() => save.mutate()} data-testid="concurrency-group-cap-save">
          {save.isPending ? "Saving…" : group?.maxConcurrent != null ? "Change cap" : "Set cap"}
        </Button>
      </div>
    </div>
  );
}
