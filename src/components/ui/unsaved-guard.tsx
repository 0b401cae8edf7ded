"use client";

import { useLayoutEffect, useRef, useState } from "react";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "./alert-dialog";

/**
 * The unsaved-changes guard of a form in a sheet or dialog (issue 13 item 3): the form
 * reports whether it is dirty (`setDirty`); `requestClose` closes at once when it isn't and
 * otherwise opens the "Discard unsaved changes?" dialog (`discardDialog`, render it beside
 * the sheet). `onCloseAutoFocus` returns focus to the element that had it when the container
 * opened (recorded in a layout effect, before Radix moves focus in), so Esc, Cancel, save and
 * discard all land back on the opener.
 * @param open the container's open state; `onOpenChange(false)` is called to close it.
 * @param what the noun in the dialog's sentence ("this schedule", "this runtime").
 */
export function useUnsavedGuard(open: boolean, onOpenChange: (open: boolean) => void, what: string) {
  const dirty = useRef(false);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const trigger = useRef<HTMLElement | null>(null);

  useLayoutEffect(() => {
    if (open && document.activeElement instanceof HTMLElement && document.activeElement !== document.body) trigger.current = document.activeElement;
  }, [open]);

  const close = () => {
    dirty.current = false;
    setConfirmDiscard(false);
    onOpenChange(false);
  };
  const requestClose = () => (dirty.current ? setConfirmDiscard(true) : close());
  const onCloseAutoFocus = (e: Event) => {
    if (trigger.current?.isConnected) {
      e.preventDefault();
      trigger.current.focus();
    }
  };
  const setDirty = (d: boolean) => {
    dirty.current = d;
  };
  const discardDialog = (
    <AlertDialog open={confirmDiscard} onOpenChange={setConfirmDiscard}>
      <AlertDialogContent data-testid="discard-dialog">
        <AlertDialogHeader>
          <AlertDialogTitle>Discard unsaved changes?</AlertDialogTitle>
          <AlertDialogDescription>The changes to {what} are not saved. Closing now loses them.</AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel>Keep editing</AlertDialogCancel>
          <AlertDialogAction onClick={close}>Discard changes</AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
  return { close, requestClose, onCloseAutoFocus, setDirty, discardDialog };
}
