// Real receivers for what credauth sends: an SMTP server (the smtp-server package, as a mail relay
// would run it) that keeps every message it accepts, and an HTTP server that keeps every webhook
// post and answers as a test tells it to.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A list that something appends to, and a way to wait until it holds `count` items. */
function arrivals<T>(what: string) {
  const items: T[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    add(item: T) {
      items.push(item);
      this.notify();
    },
    notify() {
      for (const waiter of waiters) waiter();
    },
    waitFor(count: number, timeoutMs: number): Promise<T[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (items.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(items);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${items.length} of ${count} ${what} arrived`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for --smtp-url. */
  url: string;
  messages: ParsedMail[];
  /** Connections opened so far (a hung sink counts them, to know a delivery has begun). */
  connections(): number;
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/**
 * An SMTP server on a free port. `hang`: it accepts connections and never greets, as a relay that
 * has stopped answering.
 */
export async function startSmtpSink(options: { hang?: boolean } = {}): Promise<SmtpSink> {
  const messages = arrivals<ParsedMail>("messages");
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onConnect(_session, callback) {
      connections++;
      if (!options.hang) callback();
      // hanging: never call back, so the greeting never comes
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.add(parsed);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages: messages.items,
    connections: () => connections,
    waitFor: (count, timeoutMs = 20_000) => messages.waitFor(count, timeoutMs),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface WebhookPost {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every post, with the status it was answered. */
  posts: WebhookPost[];
  /** Posts received while hanging (never answered, not in `posts`). */
  hung(): number;
  /** Hang (take posts and never answer) or answer from now on. */
  setHang(hang: boolean): void;
  waitFor(count: number, timeoutMs?: number): Promise<WebhookPost[]>;
  close(): Promise<void>;
}

/** An HTTP server taking posts at /hook; `answer(n)` is the status of the n-th post (from 1); `hang`: takes them and never answers. */
export async function startWebhookReceiver(
  options: { answer?: (n: number) => number; hang?: boolean } = {},
): Promise<WebhookReceiver> {
  const posts = arrivals<WebhookPost>("posts");
  let hang = options.hang ?? false;
  let hung = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (hang) {
        hung++;
        posts.notify();
        return;
      }
      const status = options.answer?.(posts.items.length + 1) ?? 200;
      response.writeHead(status).end();
      posts.add({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), status });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    posts: posts.items,
    hung: () => hung,
    setHang: (value) => {
      hang = value;
    },
    waitFor: (count, timeoutMs = 20_000) => posts.waitFor(count, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
