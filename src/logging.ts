// The one place a logger is made, for the server and the worker alike: the same redaction of
// secrets, the same request serializer, and one of two formats — JSON lines for a log collector,
// or pino-pretty's readable lines for a person at a terminal.
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import PinoPretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./config.ts";
import { redactUrlSecrets } from "./domain/tokens.ts";

export interface LogSettings {
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** `destination`: where lines go (Default: standard output); tests read them to prove no secret is logged. */
export function createLogger(
  settings: LogSettings,
  options: { name?: string; destination?: { write(line: string): void } } = {},
): Logger {
  const pretty =
    settings.logFormat === "pretty"
      ? // Synchronous, in this thread: a line written just before the process exits is not lost.
        PinoPretty({
          sync: true,
          colorize: options.destination === undefined && process.stdout.isTTY === true,
          ignore: "pid,hostname",
          singleLine: true,
          translateTime: "SYS:HH:MM:ss.l",
          ...(options.destination ? { destination: asWritable(options.destination) } : {}),
        })
      : undefined;
  return pino(
    {
      level: settings.logLevel,
      ...(options.name ? { name: options.name } : {}),
      // Tokens travel in these headers; they must never reach a log line. A token can also be put
      // in a URL (`?access_token=`): logged URLs are cleaned of anything that could be one.
      redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
      serializers: {
        req: (request: { method: string; url: string; ip?: string }) => ({
          method: request.method,
          url: redactUrlSecrets(request.url),
          remoteAddress: request.ip,
        }),
      },
    },
    pretty ?? options.destination ?? process.stdout,
  );
}

/** pino-pretty pipes into a stream; a plain `{ write }` sink (a test's) is wrapped in one. */
function asWritable(sink: { write(line: string): void }): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.write(chunk.toString());
      done();
    },
  });
}
