// What a webhook URL may hold, and how one is shown. A credential in a URL (`user:pass@`, a query
// such as `?token=`) would be stored in clear, shown in the delivery log and written into every
// error and log line about the post; the signing secret, encrypted, is where a receiver's secret
// belongs. So such URLs are refused on the way in, and any URL shown or logged is cut to its
// scheme, host, port and path.

/** Why this URL cannot be a webhook's, or null when it can. */
export function webhookUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an http or https URL";
  if (parsed.username !== "" || parsed.password !== "")
    return "must not carry credentials (user:password@): give the receiver a `secret`, which signs every post";
  if (parsed.search !== "" || url.includes("?"))
    return "must not have a query, which may carry a credential: give the receiver a `secret`, which signs every post";
  if (parsed.hash !== "" || url.includes("#")) return "must not have a fragment";
  return null;
}

/** The URL as it may be shown or logged: scheme, host, port and path; never userinfo, query or fragment. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/** Every URL in a text, redacted: error messages quote the URL they failed on. */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactedUrl(url));
}
