// Stand-in for the `server-only` marker package under vitest (it has no runtime behaviour on the server).
export {};
