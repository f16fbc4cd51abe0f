// @ts-check
// Talking to credauth: the console's session and the API under /_credauth/console/api/…, where every
// route answers to the session cookie with the same rules as for the token; each change carries the
// session's CSRF token.

export const CONSOLE = "/_credauth/console";
export const API = `${CONSOLE}/api`;
/** Dispatched on window when an answer shows the session has ended, so the header can follow. */
export const SIGNED_OUT = "credauth:signed-out";

/** Who is signed in, and what they manage: filled on sign-in, emptied on sign-out. */
/** @type {{ session: null | { kind: "token" | "admin"; login: string | null; csrf: string }; scopes: null | { enterprises: { slug: string; name: string; emu: boolean }[]; organizations: { login: string; enterprise: string }[] } }} */
export const state = { session: null, scopes: null };

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} path an API path (sent under /_credauth/console/api), or one of the console's own
 * @param {{ method?: string; body?: unknown }} [options]
 * @returns {Promise<{ status: number; data: any; headers: Headers }>}
 */
export async function api(path, options = {}) {
  const method = options.method ?? "GET";
  /** @type {Record<string, string>} */
  const headers = { accept: "application/vnd.github+json" };
  if (method !== "GET") headers["x-csrf-token"] = state.session?.csrf ?? "";
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path.startsWith(CONSOLE) ? path : `${API}${path}`, {
    method,
    headers,
    credentials: "same-origin",
    // GitHub's answers say max-age=60: the console must see a change it has just made.
    cache: "no-store",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && state.session) {
    state.session = null;
    state.scopes = null;
    window.dispatchEvent(new Event(SIGNED_OUT));
  }
  if (!response.ok) throw new ApiError(response.status, data?.message ?? response.statusText);
  return { status: response.status, data, headers: response.headers };
}

/** The query of a Link header's relation (GitHub's pagination), if there is one. @param {Headers} headers @param {string} relation */
export function linkQuery(headers, relation) {
  const value = headers.get("link") ?? "";
  for (const part of value.split(",")) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part.trim());
    if (match && match[2] === relation) return new URL(match[1]).searchParams;
  }
  return null;
}

/** The page number a Link header's relation points to. @param {Headers} headers @param {string} relation */
export const link = (headers, relation) => linkQuery(headers, relation)?.get("page") ?? null;
