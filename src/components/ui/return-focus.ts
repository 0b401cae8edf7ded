"use client";

import * as React from "react";

type FocusEventHandler = (event: Event) => void;

/**
 * Focus goes back to whatever had it when a dialog/sheet opened. Radix returns focus only
 * to its own Trigger; our dialogs are mostly opened from state (a row's button, a mutation),
 * so without this focus fell to <body> on close (issue 13 item 7). Wraps the content's
 * onOpenAutoFocus/onCloseAutoFocus; a caller's own handler runs first and may
 * preventDefault to opt out.
 */
export function useReturnFocus(props: { onOpenAutoFocus?: FocusEventHandler; onCloseAutoFocus?: FocusEventHandler }) {
  const returnTo = React.useRef<HTMLElement | null>(null);
  return {
    onOpenAutoFocus: (event: Event) => {
      // Still the opener: the content's focus scope has mounted but not moved focus yet.
      const active = document.activeElement;
      returnTo.current = active instanceof HTMLElement && active !== document.body ? active : null;
      props.onOpenAutoFocus?.(event);
    },
    onCloseAutoFocus: (event: Event) => {
      props.onCloseAutoFocus?.(event);
      if (event.defaultPrevented) return;
      const target = returnTo.current;
      returnTo.current = null;
      if (target?.isConnected) {
        event.preventDefault();
        target.focus();
      }
    },
  };
}
