/** A prompt as sent, in a scrollable, keyboard-focusable block (long prompts don't stretch the page). */
export function PromptText({ text }: { text: string }) {
  return (
    <pre
      tabIndex={0}
      aria-label="Prompt"
      data-testid="prompt"
      className="bg-muted/60 max-h-72 overflow-auto rounded-md p-3 font-mono text-xs break-words whitespace-pre-wrap"
    >
      {text}
    </pre>
  );
}
