/**
 * Raw HTTP requests with any Host header (fetch forbids setting Host), for replaying
 * DNS-rebinding and forwarded-header attacks against the real server.
 */
import http from "node:http";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Body text; for an event stream only what arrived before `firstChunkOnly` cut it. */
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Sends one request to 127.0.0.1:`port` with exactly these headers (Host included).
 * `firstChunkOnly` resolves after the first body chunk and closes the connection (SSE).
 */
export function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string; firstChunkOnly?: boolean },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: opts.method ?? "GET", path: opts.path, headers: opts.headers, setHost: false }, (res) => {
      let body = "";
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      };
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
        if (opts.firstChunkOnly) {
          finish();
          res.destroy();
        }
      });
      res.on("end", finish);
      res.on("close", finish);
    });
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
