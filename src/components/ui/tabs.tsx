"use client";

import * as React from "react";
import { Tabs as TabsPrimitive } from "radix-ui";
import { cn } from "@/lib/utils";

function Tabs({ className, ...props }: React.ComponentProps<typeof TabsPrimitive.Root>) {
  return <TabsPrimitive.Root data-slot="tabs" className={cn("flex flex-col gap-2", className)} {...props} />;
}
function TabsList({ className, ...props }: React.ComponentProps<typeof TabsPrimitive.List>) {
  return (
    <TabsPrimitive.List
      data-slot="tabs-list"
      className={cn("bg-muted text-muted-foreground inline-flex h-9 w-fit items-center justify-center rounded-lg p-[3px]", className)}
      {...props}
    />
  );
}
/**
 * A tab. Radix points `aria-controls` at the tab's panel even when that panel isn't
 * rendered (inactive panels unmount; a tab list used as a switch has none), which axe
 * reports as critical (aria-valid-attr-value, issue 13 item 7). After each render the
 * attribute is kept only while the panel exists.
 */
function TabsTrigger({ className, ref, ...props }: React.ComponentProps<typeof TabsPrimitive.Trigger>) {
  const own = React.useRef<HTMLButtonElement | null>(null);
  React.useEffect(() => {
    const el = own.current;
    if (!el) return;
    const panel = el.dataset.controls ?? el.getAttribute("aria-controls");
    if (!panel) return;
    el.dataset.controls = panel;
    if (document.getElementById(panel)) el.setAttribute("aria-controls", panel);
    else el.removeAttribute("aria-controls");
  });
  return (
    <TabsPrimitive.Trigger
      ref={(node) => {
        own.current = node;
        if (typeof ref === "function") ref(node);
        else if (ref) ref.current = node;
      }}
      data-slot="tabs-trigger"
      className={cn(
        "data-[state=active]:bg-background text-foreground/70 data-[state=active]:text-foreground inline-flex h-[calc(100%-1px)] flex-1 items-center justify-center gap-1.5 rounded-md border border-transparent px-2 py-1 text-sm font-medium whitespace-nowrap transition-[color,box-shadow] focus-visible:ring-[3px] focus-visible:outline-1 disabled:pointer-events-none disabled:opacity-50 data-[state=active]:shadow-sm [&_svg]:size-4",
        className,
      )}
      {...props}
    />
  );
}
function TabsContent({ className, ...props }: React.ComponentProps<typeof TabsPrimitive.Content>) {
  return <TabsPrimitive.Content data-slot="tabs-content" className={cn("flex-1 outline-none", className)} {...props} />;
}

export { Tabs, TabsList, TabsTrigger, TabsContent };
