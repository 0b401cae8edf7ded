import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and process-spawning packages must load from node_modules at run time,
  // not be bundled: better-sqlite3 is a native addon, the Claude Agent SDK spawns
  // its own binary next to its package files.
  serverExternalPackages: ["better-sqlite3", "@anthropic-ai/claude-agent-sdk", "pidtree"],
  poweredByHeader: false,
  // Production builds type-check through `npm run typecheck` and lint through `npm run lint`.
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
