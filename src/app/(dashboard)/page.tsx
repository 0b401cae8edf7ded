import { Overview } from "@/components/dashboard/overview";

export default function DashboardPage() {
  return <Overview />;
}
