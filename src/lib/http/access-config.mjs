/**
 * The access rule's old address, kept for scripts/start.mjs and the HTTP modules: the rule
 * itself is configuration and lives in src/lib/config/access-config.mjs (env.ts reads it).
 */
export * from "../config/access-config.mjs";
