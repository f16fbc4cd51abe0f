// How a notification goes out: the email a person reads (nodemailer over SMTP) and the webhook a
// program reads (an HTTP POST signed as GitHub signs its webhooks). Each send is one attempt; the
// caller records it. The same Message-ID / X-GitHub-Delivery goes out on every attempt of one
// notification, so a receiver can drop a repeat.
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createTransport } from "nodemailer";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import type { MailConfig } from "../config.ts";
import { revocationResource } from "../domain/revocation.ts";
import type { PendingNotification } from "../store/notifications.ts";
import type { RevocationRecord } from "../store/revocation-requests.ts";

/** GitHub gives a webhook receiver 10 seconds to answer. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The longest one email may take (connect, greeting, each reply): kept under the delivery lease. */
const SMTP_TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000 };
export const WEBHOOK_EVENT = "credauth_revocation";

export interface SendOutcome {
  /** The webhook's HTTP status, or the SMTP server's reply code. */
  statusCode: number | null;
}

export interface Email {
  to: string;
  subject: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface WebhookPost {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface Transports {
  /** Null: no mail server configured; emails are recorded and marked not sent. */
  email: ((email: Email) => Promise<SendOutcome>) | null;
  webhook: (post: WebhookPost) => Promise<SendOutcome>;
  /** Closes the pooled mail connections (at shutdown). */
  close(): void;
}

/** Thrown for an answer that means "not delivered": kept with the attempt. */
export class DeliveryRefused extends Error {
  readonly statusCode: number | null;
  constructor(message: string, statusCode: number | null) {
    super(message);
    this.name = "DeliveryRefused";
    this.statusCode = statusCode;
  }
}

export function smtpTransport(mail: MailConfig): ((email: Email) => Promise<SendOutcome>) & { close(): void } {
  // Pooled: a revocation of thousands of users sends thousands of emails over a few connections.
  const transport = createTransport(
    { url: mail.smtpUrl, ...SMTP_TIMEOUTS, pool: true, maxConnections: 4, maxMessages: 200 },
    { from: mail.from },
  );
  const send = async (email: Email): Promise<SendOutcome> => {
    const info = await transport.sendMail({
      to: email.to,
      subject: email.subject,
      text: email.text,
      messageId: email.messageId,
      headers: email.headers,
    });
    if (info.rejected.length > 0) throw new DeliveryRefused(`the mail server refused ${email.to}`, null);
    return { statusCode: Number(/^(\d{3})/.exec(info.response ?? "")?.[1] ?? 250) };
  };
  return Object.assign(send, { close: () => transport.close() });
}

/**
 * Posts one webhook over node:http(s) through request-filtering-agent, which checks the address it
 * actually connects to — after DNS, so a name that resolves (or rebinds) to a private, loopback,
 * link-local or metadata address is refused like the literal address. `allowPrivate` lifts that
 * for test setups and receivers on a private network (--allow-private-webhooks).
 */
export function postWebhook(post: WebhookPost, agents: WebhookAgents): Promise<SendOutcome> {
  const url = new URL(post.url);
  const [send, agent] = url.protocol === "https:" ? [httpsRequest, agents.https] : [httpRequest, agents.http];
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: "POST",
        headers: { ...post.headers, "content-length": String(Buffer.byteLength(post.body)) },
        agent,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      },
      (response) => {
        response.resume(); // the receiver's body is not read, as GitHub does not read it
        const status = response.statusCode ?? 0;
        // GitHub does not follow a receiver's redirect either: a 3xx is not a delivery.
        if (status < 200 || status > 299) reject(new DeliveryRefused(`the receiver answered ${status}`, status));
        else resolve({ statusCode: status });
      },
    );
    request.on("error", (error: Error) => {
      if (/is not allowed\. Because/.test(error.message))
        reject(
          new DeliveryRefused(
            `refused to post to ${url.hostname}: it is (or resolves to) a private, loopback, link-local or metadata address; ` +
              "start credauth with --allow-private-webhooks to allow it",
            null,
          ),
        );
      else reject(error);
    });
    request.end(post.body);
  });
}

/** The agents webhooks are posted through: one per scheme, checking every address they connect to. */
export interface WebhookAgents {
  http: RequestFilteringHttpAgent;
  https: RequestFilteringHttpsAgent;
}

export function webhookAgents(options: { allowPrivate: boolean }): WebhookAgents {
  const filtering = { allowPrivateIPAddress: options.allowPrivate, keepAlive: true };
  return { http: new RequestFilteringHttpAgent(filtering), https: new RequestFilteringHttpsAgent(filtering) };
}

export function transportsFor(mail: MailConfig | null, options: { allowPrivateWebhooks: boolean }): Transports {
  const email = mail ? smtpTransport(mail) : null;
  const agents = webhookAgents({ allowPrivate: options.allowPrivateWebhooks });
  return {
    email,
    webhook: (post) => postWebhook(post, agents),
    close: () => {
      email?.close();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** `sha256=<hex HMAC>` of the body under the secret, as GitHub's X-Hub-Signature-256. */
export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

interface ListedCredential {
  organization?: string;
  credential_type: string;
  note: string | null;
  token_last_eight: string | null;
  fingerprint: string | null;
}

const describeCredential = (c: ListedCredential) =>
  `${c.credential_type}${c.note ? ` "${c.note}"` : ""}${c.token_last_eight ? ` (…${c.token_last_eight})` : ""}${c.fingerprint ? ` (${c.fingerprint})` : ""}`;

/** The email of a notification to a person; the revocation it tells of, if any. */
export function composeEmail(
  notification: PendingNotification,
  revocation: RevocationRecord | null,
  version: string,
): Email {
  const hello = `Hello ${notification.recipientLogin ?? "there"},`;
  const listed = (key: string) => (notification.payload[key] as ListedCredential[] | undefined) ?? [];
  const lines: string[] = [hello, ""];
  let subject: string;
  if (notification.kind === "credentials_revoked") {
    subject = "[credauth] Credentials of yours were reported and revoked";
    lines.push(
      "Credentials of yours were submitted to the credential revocation API, as found where they should not be,",
      "and have been revoked. They no longer work, and cannot be restored:",
      "",
      ...listed("credentials").map((c) => `  - ${describeCredential(c)}`),
    );
  } else {
    const where = revocation?.organizationLogin
      ? `the ${revocation.organizationLogin} organization`
      : `the ${revocation?.enterpriseSlug ?? "?"} enterprise`;
    subject = `[credauth] Your credential authorizations in ${where} were revoked`;
    lines.push(
      `${revocation?.requesterLogin ?? "An administrator"} revoked the SAML single sign-on authorizations of your credentials in ${where}` +
        ` (revocation ${notification.revocationId}, ${revocation?.finishedAt?.toISOString() ?? "just now"}).`,
    );
    const revoked = listed("authorizations_revoked");
    if (revoked.length > 0)
      lines.push(
        "",
        "Single sign-on authorizations revoked:",
        ...revoked.map((c) => `  - ${describeCredential(c)} for ${c.organization}`),
      );
    const destroyed = listed("credentials_destroyed");
    if (destroyed.length > 0)
      lines.push("", "Credentials deleted:", ...destroyed.map((c) => `  - ${describeCredential(c)}`));
    lines.push(
      "",
      "A revoked authorization cannot be authorized again: to regain access, create a new credential and",
      "authorize it for single sign-on.",
    );
  }
  lines.push("", `— credauth ${version}`);
  return {
    to: notification.recipient!,
    subject,
    text: lines.join("\n"),
    messageId: `<${notification.deliveryId}@credauth>`,
    headers: {
      "X-Credauth-Notification": String(notification.id),
      ...(notification.revocationId === null ? {} : { "X-Credauth-Revocation": String(notification.revocationId) }),
    },
  };
}

/** The webhook post of a settled revocation, signed with the webhook's secret if it has one. */
export function composeWebhook(
  notification: PendingNotification,
  revocation: RevocationRecord,
  secret: string | null,
  publicUrl: string | null,
  version: string,
): WebhookPost {
  const body = JSON.stringify({
    action: revocation.state === "failed" ? "failed" : "succeeded",
    revocation: revocationResource(
      revocation,
      publicUrl === null ? null : `${publicUrl}/_credauth/revocations/${revocation.id}`,
    ),
    enterprise: { id: revocation.enterpriseId, slug: revocation.enterpriseSlug },
    organization:
      revocation.organizationId === null
        ? null
        : { id: revocation.organizationId, login: revocation.organizationLogin },
    sender: { login: revocation.requesterLogin, id: revocation.requesterId },
  });
  return {
    url: notification.webhookUrl!,
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": `credauth-Hookshot/${version}`,
      "x-github-event": WEBHOOK_EVENT,
      "x-github-delivery": notification.deliveryId,
      "x-github-hook-id": String(notification.webhookId),
      ...(secret === null ? {} : { "x-hub-signature-256": signatureOf(secret, body) }),
    },
  };
}
