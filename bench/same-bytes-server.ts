// The read routes' baseline: a plain node:http server that answers each path with the bytes and
// headers credauth answered it with, captured once (bench/routes.ts), and nothing else: no
// framework, no lookup beyond one Map. What credauth does on top of writing those bytes is its cost.
//
// Usage: node bench/same-bytes-server.ts ANSWERS.json  (prints "same-bytes listening on URL")
import { readFileSync } from "node:fs";
import http from "node:http";

interface Captured {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const captured = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Record<string, Captured>;
const answers = new Map(
  Object.entries(captured).map(([path, answer]) => [
    path,
    { ...answer, body: Buffer.from(answer.body), headers: Object.entries(answer.headers).flat() },
  ]),
);

const server = http.createServer((request, response) => {
  const answer = answers.get(request.url ?? "");
  if (!answer) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(answer.status, [...answer.headers, "content-length", String(answer.body.length)]);
  response.end(answer.body);
});
server.keepAliveTimeout = 72_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(`same-bytes listening on http://127.0.0.1:${address.port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
