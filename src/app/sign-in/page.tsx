import { redirect } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { safeNextPath, SESSION_API_PATH } from "@/lib/http/access";
import { env } from "@/lib/env";

export const dynamic = "force-dynamic";

/**
 * Sign-in page for a server started with AGENTCRON_TOKEN (ADR 0004). A plain form post to
 * /api/session, so it works before any script loads; pages redirect here when signed out.
 */
export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  if (!env().AGENTCRON_TOKEN) redirect(next);
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <form method="post" action={SESSION_API_PATH} className="w-full max-w-sm space-y-4 rounded-lg border p-6 shadow-sm">
        <h1 className="text-lg font-semibold">Sign in to Agentcron</h1>
        <p className="text-muted-foreground text-sm">This server asks for its access token (the AGENTCRON_TOKEN it was started with).</p>
        <input type="hidden" name="next" value={next} />
        <div className="space-y-2">
          <Label htmlFor="token">Access token</Label>
          <Input id="token" name="token" type="password" autoComplete="current-password" required autoFocus />
        </div>
        {params.error === "invalid" && (
          <p role="alert" className="text-destructive text-sm">
            That is not this server&apos;s token. Try again.
          </p>
        )}
        <Button type="submit" className="w-full">
          Sign in
        </Button>
      </form>
    </main>
  );
}
