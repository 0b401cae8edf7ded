// Entry of the executor host's worker thread (ADR 0022). The app's server code is
// TypeScript: register tsx's loaders in this thread (CommonJS and ESM, like `npm run
// worker`), then load the worker. The thread runs with --conditions=react-server
// (host.ts), so `server-only` resolves to its empty module as in the server bundles.
import { register as registerCjs } from "tsx/cjs/api";
import { register as registerEsm } from "tsx/esm/api";

registerCjs();
registerEsm();
await import("./worker.ts");
