// The one place errors become responses. ApiErrors render as GitHub's basic-error body; Fastify's
// own client errors are mapped onto the catalogue; anything else is our fault: logged, 500.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError, DEFAULT_DOCUMENTATION_URL, Errors } from "../errors.ts";
import { DatabaseUnavailableError } from "../store/db.ts";
import type { RateLimits } from "./rate-limits.ts";

/** What a 503 tells clients to wait: about as long as a PostgreSQL restart takes. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function renderError(error: ApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.plainText)
    return reply.code(error.status).headers(error.headers).type("text/plain; charset=utf-8").send(`${error.message}\n`);
  return reply
    .code(error.status)
    .headers(error.headers)
    .type("application/json; charset=utf-8")
    .send(errorBody(error, request.routeOptions?.config?.documentationUrl));
}

/** GitHub's error body: also the data of the event that ends a stream whose caller lost access. */
export function errorBody(error: ApiError, routeDocumentationUrl?: string) {
  return {
    message: error.message,
    ...error.extra,
    documentation_url: error.documentationUrl ?? routeDocumentationUrl ?? DEFAULT_DOCUMENTATION_URL,
    status: String(error.status),
  };
}

function fromFastifyError(error: FastifyError): ApiError | null {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return Errors.payloadTooLarge();
    // Our own parser reads every body (github-conventions.ts); a length that lies is a body it cannot parse.
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return Errors.problemsParsingJson();
  }
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
    return Errors.clientError(error.statusCode);
  }
  return null;
}

/**
 * Requests Node's HTTP parser refuses before any route sees them (an unknown method, a NUL in the
 * request line, headers over 16 KB, a timeout) get GitHub's JSON error too, written to the socket.
 */
export function protocolErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const [status, reason] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large"]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout"]
        : [400, "Bad Request"];
  const body = JSON.stringify({
    message: reason,
    documentation_url: DEFAULT_DOCUMENTATION_URL,
    status: String(status),
  });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-GitHub-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Requests refused before authentication counted them (a bad API version, a malformed URL) count now. */
function countRefused(rateLimits: RateLimits, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const caller = request.principal ? { userId: request.principal.user.id } : { ip: request.ip };
  return rateLimits.admit(request, reply, caller, { refuse: false });
}

export function installErrorHandling(app: FastifyInstance, rateLimits: RateLimits): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    await countRefused(rateLimits, request, reply);
    const known = error instanceof ApiError ? error : fromFastifyError(error);
    if (known) return renderError(known, request, reply);
    if (error instanceof DatabaseUnavailableError) {
      request.log.warn({ err: error.cause }, "database unavailable");
      return renderError(Errors.serviceUnavailable(DATABASE_RETRY_AFTER_SECONDS), request, reply);
    }
    request.log.error({ err: error }, "unhandled error");
    return renderError(Errors.serverError(), request, reply);
  });
  app.setNotFoundHandler(async (request, reply) => {
    await countRefused(rateLimits, request, reply);
    return renderError(Errors.notFound(), request, reply);
  });
}
