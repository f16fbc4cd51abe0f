// The answers of GitHub's read routes (a page of authorizations, of the audit log, of members),
// rendered once and kept, with their entity tag and headers, until the next write: an exact cache
// (store/exact-cache.ts), so a request that follows a revocation's 202 never gets an older page.
// Who may see an answer is still decided on every request, before the cache is asked; the key
// names the credential that asked, so no answer crosses from one caller to another.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../store/db.ts";
import { exactCache } from "../store/exact-cache.ts";
import { entityTag } from "./conditional-requests.ts";
import { apiBaseUrl } from "./urls.ts";

/** What a read route renders: its JSON and the headers that go with it (Link, X-GitHub-SSO). */
export interface Rendered {
  body: unknown;
  headers?: Record<string, string | undefined>;
}

interface Kept {
  body: string;
  tag: string;
  headers: [string, string][];
}

export type ExactBodies = (
  request: FastifyRequest,
  reply: FastifyReply,
  /** Whose answer this is and anything else it depends on beyond the URL. */
  scope: string,
  render: () => Promise<Rendered>,
) => Promise<FastifyReply>;

/** Characters of rendered answers kept at most (two bytes each, at the very worst 64 MB). */
const KEPT_CHARACTERS = 32_000_000;

export function exactBodies(db: Db): ExactBodies {
  const read = exactCache(db, {
    capacity: 20_000,
    budget: KEPT_CHARACTERS,
    weigh: (kept) => (kept as Kept).body.length,
  });
  return async (request, reply, scope, render) => {
    const key = `${scope} ${apiBaseUrl(request)}${request.url}`;
    const { body, tag, headers } = await read(key, async (): Promise<Kept> => {
      const { body, headers = {} } = await render();
      const text = JSON.stringify(body);
      const kept = Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined);
      return { body: text, tag: entityTag(text), headers: kept };
    });
    for (const [name, value] of headers) reply.header(name, value);
    // conditional-requests.ts takes this tag instead of hashing the body again.
    return reply.header("etag", tag).type("application/json; charset=utf-8").send(body);
  };
}
