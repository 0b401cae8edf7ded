/** Types for access-config.mjs (plain JS so scripts/start.mjs can share the rule). */

export interface AllowedOrigin {
  /** Serialized origin, e.g. `https://cron.example.com`. */
  origin: string;
  scheme: "http" | "https";
  /** Lowercased; IPv6 in brackets. */
  hostname: string;
  /** Explicit port or the scheme's default. */
  port: number;
}

export interface AccessConfig {
  /** AGENTCRON_TOKEN, or null when authentication is off. */
  token: string | null;
  allowedOrigins: AllowedOrigin[];
  trustProxy: boolean;
}

export const MIN_TOKEN_LENGTH: number;
export class AccessConfigError extends Error {}
export function isLoopbackHost(host: string): boolean;
export function defaultPort(scheme: string): number;
export function parseOrigin(text: string): AllowedOrigin;
export function readAccessConfig(env?: Record<string, string | undefined>): AccessConfig;
export function listenHostOf(argv?: string[], env?: Record<string, string | undefined>): string;
export function startRefusal(env: Record<string, string | undefined>, listenHost: string): string | null;
