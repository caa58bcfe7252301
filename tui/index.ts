/**
 * The TUI's entry point. Import it lazily (`await import("../tui/index.ts")`): running it
 * loads Ink and React, which a headless daemon never needs. This file itself loads neither.
 */
import type { FleetTuiOptions } from "./fleet/run";
import type { TuiOptions } from "./run";

export type { ExtraKey } from "./app";
export type { FleetTuiOptions } from "./fleet/run";
export type { TuiOptions } from "./run";

/** Run the TUI on this terminal until the user quits; resolves with the exit status (0). */
export async function runTui(opts: TuiOptions): Promise<number> {
  // React and react-reconciler pick their build from NODE_ENV when first loaded; the
  // development build costs about twice the CPU per frame (bench/tui/render.ts). Only in
  // the compiled binary: under plain `bun`, JSX is transpiled to jsxDEV (decided at start-up),
  // which React's production jsx-dev-runtime does not export.
  if (import.meta.path.startsWith("/$bunfs/")) process.env.NODE_ENV ??= "production";
  const { startTui } = await import("./run.tsx");
  return startTui(opts).done;
}

/** The fleet screen (`keel fleet` on a terminal) until the user quits; resolves with the exit status. */
export async function runFleetTui(opts: FleetTuiOptions): Promise<number> {
  if (import.meta.path.startsWith("/$bunfs/")) process.env.NODE_ENV ??= "production";
  const { startFleetTui } = await import("./fleet/run.tsx");
  return startFleetTui(opts).done;
}
