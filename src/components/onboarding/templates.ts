import type { ScheduleTemplate } from "@/components/schedules/form/schema";

/** Common schedules a newcomer starts from; each fills the schedule sheet (issue 13 item 1). */
export const SCHEDULE_TEMPLATES: { id: string; title: string; summary: string; template: ScheduleTemplate }[] = [
  {
    id: "daily-check-in",
    title: "Daily repository check-in",
    summary: "Weekdays at 9:00: what changed, what is stuck.",
    template: {
      name: "Daily repository check-in",
      schedule: "weekdays at 9:00",
      maxTurns: "30",
      prompt:
        "Look at the git repository in your working directory. Summarize the commits since yesterday, the open branches and anything that looks stuck (failing checks, stale branches, TODOs added). Answer in at most 15 lines.",
    },
  },
  {
    id: "dependency-audit",
    title: "Dependency audit",
    summary: "Mondays at 8:00: outdated and vulnerable packages.",
    template: {
      name: "Dependency audit",
      schedule: "every monday at 8:00",
      maxTurns: "40",
      prompt:
        "Audit the project's dependencies in your working directory: list packages with known vulnerabilities and the ones more than one major version behind, each with the command that would update it. Do not change any file.",
    },
  },
  {
    id: "nightly-triage",
    title: "Nightly test-failure triage",
    summary: "Daily at 2:00: run the tests, group the failures.",
    template: {
      name: "Nightly test-failure triage",
      schedule: "daily at 2:00",
      maxTurns: "80",
      prompt:
        "Run the test suite in your working directory. Group the failures by likely cause, name the smallest set of files involved for each group, and say which failures look flaky. Do not change any file.",
    },
  },
  {
    id: "weekly-changelog",
    title: "Weekly changelog draft",
    summary: "Fridays at 16:00: a changelog from the week's commits.",
    template: {
      name: "Weekly changelog draft",
      schedule: "every friday at 16:00",
      maxTurns: "30",
      prompt:
        "Draft a changelog entry from this week's commits in your working directory, grouped as Added / Changed / Fixed, one line per change in plain words for users. Print it; do not commit.",
    },
  },
];
