import { chromiumPath } from "./chromium";

/** Fails fast without Chromium, then builds the production bundle once for every spec. */
export default async function setup(): Promise<void> {
  chromiumPath();
  // @ts-expect-error plain ESM script without types
  const { buildIfNeeded } = await import("../../scripts/build-if-needed.mjs");
  buildIfNeeded();
}
