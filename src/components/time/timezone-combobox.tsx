"use client";

import { useId, useMemo, useRef, useState } from "react";
import { ChevronsUpDown } from "lucide-react";
import { searchTimezones, timezoneOptions } from "@/lib/ui/timezones";
import { cn } from "@/lib/utils";

/** Options shown at once; the search narrows the ~420 zones. */
const MAX_SHOWN = 60;

/**
 * A searchable timezone picker (WAI-ARIA combobox with a listbox popup): canonical IANA
 * names (Asia/Kolkata, not Asia/Calcutta) with today's UTC offset; type a city, a name or an
 * offset ("+05:30"); arrows move, Enter picks, Esc closes and restores the text.
 * `value` is the IANA name; `onChange` receives the canonical name picked.
 */
export function TimezoneCombobox({
  id,
  value,
  onChange,
  className,
  invalid,
  describedBy,
  "aria-label": ariaLabel,
}: {
  id?: string;
  value: string;
  onChange: (tz: string) => void;
  className?: string;
  invalid?: boolean;
  describedBy?: string;
  "aria-label"?: string;
}) {
  const autoId = useId();
  const inputId = id ?? `${autoId}-tz`;
  const listId = `${inputId}-list`;
  // Offsets as of when the picker mounted (they only move at DST changes).
  const [at] = useState(() => Date.now());
  const options = useMemo(() => timezoneOptions(at, [value]), [at, value]);
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const matches = useMemo(() => searchTimezones(options, query).slice(0, MAX_SHOWN), [options, query]);
  const current = options.find((o) => o.name === value);

  const pick = (name: string) => {
    onChange(name);
    setOpen(false);
    setQuery("");
  };
  const shown = open ? query : current ? `${current.name} (${current.offset})` : value;

  return (
    <div className={cn("relative", className)}>
      <input
        ref={inputRef}
        id={inputId}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-label={ariaLabel}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        aria-activedescendant={open && matches[active] ? `${listId}-${active}` : undefined}
        data-testid="timezone-combobox"
        autoComplete="off"
        spellCheck={false}
        placeholder={open ? "Search: city, zone or +05:30" : undefined}
        className="border-input focus-visible:border-ring focus-visible:ring-ring/50 aria-invalid:border-destructive h-9 w-full min-w-0 rounded-md border bg-transparent py-1 pr-8 pl-3 text-sm shadow-xs outline-none focus-visible:ring-[3px]"
        value={shown}
        onFocus={() => {
          setOpen(true);
          const at = options.findIndex((o) => o.name === value);
          setActive(at >= 0 && at < MAX_SHOWN ? at : 0);
        }}
        onBlur={() => setOpen(false)}
        onChange={(e) => {
          setOpen(true);
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, matches.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter" && open) {
            e.preventDefault();
            if (matches[active]) pick(matches[active].name);
          } else if (e.key === "Escape" && open) {
            // Close the list only; a surrounding dialog stays open.
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
            setQuery("");
          }
        }}
      />
      <ChevronsUpDown aria-hidden className="text-muted-foreground pointer-events-none absolute top-2.5 right-2.5 size-4" />
      <ul
        id={listId}
        role="listbox"
        aria-label="Timezones"
        hidden={!open}
        className="bg-popover text-popover-foreground absolute z-50 mt-1 max-h-64 w-full overflow-y-auto rounded-md border p-1 shadow-md"
      >
        {matches.length === 0 ? (
          <li role="option" aria-selected={false} aria-disabled className="text-muted-foreground px-2 py-1.5 text-sm">
            No timezone matches “{query}”
          </li>
        ) : (
          matches.map((o, i) => (
            <li
              key={o.name}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={o.name === value}
              data-active={i === active || undefined}
              // mousedown, not click: the input's blur would close the list first.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(o.name);
              }}
              onMouseMove={() => setActive(i)}
              className="data-active:bg-accent flex cursor-pointer justify-between gap-2 rounded-sm px-2 py-1.5 text-sm aria-selected:font-medium"
            >
              <span className="truncate">{o.name.replace(/_/g, " ")}</span>
              <span className="text-muted-foreground shrink-0 text-xs tabular-nums">{o.offset}</span>
            </li>
          ))
        )}
      </ul>
    </div>
  );
}
