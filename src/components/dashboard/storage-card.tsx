"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { Card, CardContent, CardDescription, CardHeader } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { formatBytes } from "@/components/settings/storage-format";
import { apiFetch } from "@/lib/ui/api-client";
import type { StorageOverview } from "@/lib/retention/storage";

/** The dashboard's storage figures refresh this often (they are cheap: page counts, catalog estimates). */
const STORAGE_REFRESH_MS = 30_000;

/** Dashboard: database size and row counts (GET /api/storage), linking to Settings → Data. */
export function StorageCard() {
  const storage = useQuery({ queryKey: ["storage"], queryFn: () => apiFetch<StorageOverview>("/api/storage"), refetchInterval: STORAGE_REFRESH_MS });
  const n = (v: number) => v.toLocaleString("en");
  return (
    <Card className="gap-2">
      <CardHeader>
        <CardDescription>Database</CardDescription>
      </CardHeader>
      <CardContent>
        {storage.isPending ? (
          <Skeleton className="h-8 w-20" />
        ) : storage.isError ? (
          <p className="text-destructive text-sm">Could not load: {storage.error.message}</p>
        ) : (
          <div className="flex flex-col gap-1">
            <div className="text-3xl font-semibold tabular-nums" data-testid="db-size">
              {formatBytes(storage.data.sizeBytes)}
            </div>
            <p className="text-muted-foreground text-xs" data-testid="db-rows">
              {n(storage.data.rows.tasks)} runs · {n(storage.data.rows.task_events)} transcript lines · {n(storage.data.rows.events)} events ·{" "}
              <Link href="/settings#data" className="underline-offset-2 hover:underline">
                retention
              </Link>
            </p>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
