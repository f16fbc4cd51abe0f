// Real receivers for what credauth sends: an SMTP server (the smtp-server package, as a mail relay
// would run it) that keeps every message it accepts, and an HTTP server that keeps every webhook
// post and answers as a test tells it to.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

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
  const messages: ParsedMail[] = [];
  let connections = 0;
  const waiters = new Set<() => void>();
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
          messages.push(parsed);
          for (const waiter of waiters) waiter();
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    connections: () => connections,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${messages.length} of ${count} messages arrived`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
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
  const posts: WebhookPost[] = [];
  const waiters = new Set<() => void>();
  let hang = options.hang ?? false;
  let hung = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (hang) {
        hung++;
        for (const waiter of waiters) waiter();
        return;
      }
      const status = options.answer?.(posts.length + 1) ?? 200;
      posts.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), status });
      response.writeHead(status).end();
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    posts,
    hung: () => hung,
    setHang: (value) => {
      hang = value;
    },
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (posts.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(posts);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${posts.length} of ${count} posts arrived`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
