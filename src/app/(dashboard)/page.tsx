import Link from "next/link";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";

export default function DashboardPage() {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Dashboard</h1>
      <Card>
        <CardHeader>
          <CardTitle>Scheduled agents</CardTitle>
          <CardDescription>Capacity, queue and recent runs appear here.</CardDescription>
        </CardHeader>
        <CardContent>
          <Link className="text-sm underline" href="/schedules">
            See schedules
          </Link>
        </CardContent>
      </Card>
    </div>
  );
}
