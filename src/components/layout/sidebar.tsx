"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";
import { CalendarClock, LayoutDashboard, ListChecks, Menu, MessageSquare, PanelLeftClose, PanelLeftOpen, Settings } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Sheet, SheetContent, SheetDescription, SheetTitle } from "@/components/ui/sheet";
import { cn } from "@/lib/utils";

const NAV = [
  { href: "/", label: "Dashboard", icon: LayoutDashboard },
  { href: "/schedules", label: "Schedules", icon: CalendarClock },
  { href: "/tasks", label: "Tasks", icon: ListChecks },
  { href: "/chat", label: "Chat", icon: MessageSquare },
  { href: "/settings", label: "Settings", icon: Settings },
] as const;

/** localStorage key remembering a collapsed desktop sidebar. */
const COLLAPSED_KEY = "agentcron.sidebar.collapsed";

function NavLinks({ collapsed = false, onNavigate }: { collapsed?: boolean; onNavigate?: () => void }) {
  const pathname = usePathname();
  return (
    <nav className="flex flex-col gap-1 px-2" aria-label="Main">
      {NAV.map(({ href, label, icon: Icon }) => {
        const active = href === "/" ? pathname === "/" : pathname.startsWith(href);
        return (
          <Link
            key={href}
            href={href}
            aria-current={active ? "page" : undefined}
            aria-label={collapsed ? label : undefined}
            title={collapsed ? label : undefined}
            onClick={onNavigate}
            className={cn(
              "hover:bg-sidebar-accent flex items-center gap-2 rounded-md px-3 py-2 text-sm",
              active && "bg-sidebar-accent font-medium",
              collapsed && "justify-center px-2",
            )}
          >
            <Icon className="size-4 shrink-0" aria-hidden />
            {!collapsed && label}
          </Link>
        );
      })}
    </nav>
  );
}

/**
 * The dashboard's navigation. From the md breakpoint (768 px) up: a left sidebar that
 * collapses to icons (remembered in localStorage). Below it: a top bar whose menu button
 * opens the same links in a left sheet; picking a link closes it.
 */
export function Sidebar() {
  const [collapsed, setCollapsed] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);
  const pathname = usePathname();
  useEffect(() => {
    // Read after mount: the server render has no localStorage.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setCollapsed(window.localStorage.getItem(COLLAPSED_KEY) === "1");
  }, []);
  useEffect(() => {
    // A navigation (including back/forward) closes the mobile menu.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setMenuOpen(false);
  }, [pathname]);
  const toggle = () => {
    const next = !collapsed;
    setCollapsed(next);
    window.localStorage.setItem(COLLAPSED_KEY, next ? "1" : "0");
  };

  return (
    <>
      <header className="bg-sidebar border-sidebar-border sticky top-0 z-40 flex h-14 items-center gap-2 border-b px-3 md:hidden" data-testid="mobile-topbar">
        <Button variant="ghost" size="icon" aria-label="Open menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(true)} data-testid="menu-button">
          <Menu className="size-5" />
        </Button>
        <Link href="/" className="flex items-center gap-2 font-semibold">
          <CalendarClock className="size-5" aria-hidden />
          Agentcron
        </Link>
      </header>
      <Sheet open={menuOpen} onOpenChange={setMenuOpen}>
        <SheetContent side="left" className="bg-sidebar text-sidebar-foreground w-64 max-w-[80vw] gap-2 sm:max-w-64" data-testid="mobile-nav">
          <div className="flex h-14 items-center gap-2 px-4">
            <CalendarClock className="size-5" aria-hidden />
            <SheetTitle>Agentcron</SheetTitle>
          </div>
          <SheetDescription className="sr-only">Go to a page</SheetDescription>
          <NavLinks onNavigate={() => setMenuOpen(false)} />
        </SheetContent>
      </Sheet>

      <aside
        className={cn(
          "bg-sidebar text-sidebar-foreground border-sidebar-border sticky top-0 hidden h-screen shrink-0 flex-col border-r md:flex",
          collapsed ? "w-14" : "w-56",
        )}
        data-testid="sidebar"
        data-collapsed={collapsed || undefined}
      >
        <div className={cn("flex h-14 items-center gap-2 font-semibold", collapsed ? "justify-center px-2" : "px-4")}>
          <CalendarClock className="size-5 shrink-0" aria-hidden />
          {!collapsed && "Agentcron"}
        </div>
        <NavLinks collapsed={collapsed} />
        <div className={cn("mt-auto p-2", collapsed && "flex justify-center")}>
          <Button
            variant="ghost"
            size={collapsed ? "icon" : "sm"}
            onClick={toggle}
            aria-label={collapsed ? "Expand sidebar" : "Collapse sidebar"}
            aria-expanded={!collapsed}
            data-testid="sidebar-toggle"
            className={collapsed ? undefined : "text-muted-foreground w-full justify-start"}
          >
            {collapsed ? <PanelLeftOpen /> : <PanelLeftClose />}
            {!collapsed && "Collapse"}
          </Button>
        </div>
      </aside>
    </>
  );
}
