/**
 * A real local HTTP server standing in for a webhook / Slack receiver: records every request
 * (raw body, headers) and answers with the status the test scripts (default 200).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  json: unknown;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Status for the n-th request (0-based); default 200. */
  respond: (index: number) => number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: Receiver = {
    url: "",
    requests,
    respond: () => 200,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let json: unknown = null;
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = null;
      }
      const index = requests.length;
      requests.push({ path: req.url ?? "/", headers: req.headers, rawBody, json });
      res.statusCode = receiver.respond(index);
      res.setHeader("content-type", "text/plain");
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
