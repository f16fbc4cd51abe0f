// The one catalogue of errors a client can see. Each has a stable code, an HTTP status and
// GitHub's wording; src/http/error-handler.ts renders them all the same way. Anything thrown
// that is not an ApiError is a fault of ours: logged, and answered with a generic 500.

import { REVOCABLE_CREDENTIAL_TYPES } from "./domain/credential-types.ts";

export const DEFAULT_DOCUMENTATION_URL = "https://docs.github.com/rest";

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Response headers that belong to this error (accepted scopes, SSO url, ...). */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra body fields beside message/documentation_url/status (e.g. the version error's `errors`). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Overrides the route's documentation URL (GitHub links 401s to the REST root). */
  readonly documentationUrl: string | undefined;
  /** Sent as the bare message in text/plain, as GitHub's edge answers, not as a JSON body. */
  readonly plainText: boolean;

  constructor(
    code: string,
    status: number,
    message: string,
    options: {
      headers?: Record<string, string>;
      extra?: Record<string, unknown>;
      documentationUrl?: string;
      plainText?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
    this.documentationUrl = options.documentationUrl;
    this.plainText = options.plainText ?? false;
  }
}

const RATE_LIMITS_DOCUMENTATION_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/** "…please include the request ID X and timestamp 2026-11-25 10:20:51 UTC.", as GitHub ends its rate-limit messages. */
function supportSentence(requestId: string, now: Date): string {
  const timestamp = now.toISOString().slice(0, 19).replace("T", " ");
  return `If you reach out to GitHub Support for help, please include the request ID ${requestId} and timestamp ${timestamp} UTC.`;
}

export const SUPPORTED_API_VERSIONS = ["2026-03-10", "2022-11-28"] as const;

export const Errors = {
  requiresAuthentication: () => new ApiError("requires_authentication", 401, "Requires authentication"),
  badCredentials: () =>
    new ApiError("bad_credentials", 401, "Bad credentials", { documentationUrl: DEFAULT_DOCUMENTATION_URL }),
  notFound: () => new ApiError("not_found", 404, "Not Found"),
  /** A GitHub App's JWT that cannot be read or verified, or another credential where only a JWT will do. */
  jwtNotDecodable: () =>
    new ApiError("jwt_not_decodable", 401, "A JSON web token could not be decoded", {
      documentationUrl: DEFAULT_DOCUMENTATION_URL,
    }),
  jwtIssuerInvalid: () =>
    new ApiError("jwt_issuer_invalid", 401, "'Issuer' claim ('iss') must be an Integer", {
      documentationUrl: DEFAULT_DOCUMENTATION_URL,
    }),
  jwtIssuedAtInvalid: () =>
    new ApiError(
      "jwt_issued_at_invalid",
      401,
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
      { documentationUrl: DEFAULT_DOCUMENTATION_URL },
    ),
  jwtExpired: () =>
    new ApiError(
      "jwt_expired",
      401,
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      { documentationUrl: DEFAULT_DOCUMENTATION_URL },
    ),
  jwtTooFarInFuture: () =>
    new ApiError("jwt_too_far_in_future", 401, "'Expiration time' claim ('exp') is too far in the future", {
      documentationUrl: DEFAULT_DOCUMENTATION_URL,
    }),
  /** A JWT whose issuer is no App credauth knows. */
  integrationNotFound: () =>
    new ApiError("integration_not_found", 404, "Integration not found", {
      documentationUrl: DEFAULT_DOCUMENTATION_URL,
    }),
  installationSuspended: () => new ApiError("installation_suspended", 403, "This installation has been suspended"),
  /** An installation token asked for permissions its installation does not hold. */
  /** credauth models no repositories: a token asked for some names one its installation cannot reach. */
  repositoriesNotAccessible: () =>
    new ApiError(
      "repositories_not_accessible",
      422,
      "There is at least one repository that does not exist or is not accessible to the parent installation.",
    ),
  permissionsNotGranted: () =>
    new ApiError("permissions_not_granted", 422, "The permissions requested are not granted to this installation."),
  /** GET /rate_limit with `--rate-limit off`, as GitHub Enterprise Server answers with rate limiting disabled. */
  rateLimitingDisabled: () => new ApiError("rate_limiting_disabled", 404, "Rate limiting is not enabled."),
  /** An enterprise member who is neither an owner nor holds write_enterprise_credentials. */
  enterpriseCredentialsRoleRequired: () =>
    new ApiError(
      "enterprise_credentials_role_required",
      403,
      "You must be an enterprise owner or have the write_enterprise_credentials permission to use this endpoint.",
    ),
  enterpriseOwnerRequired: () =>
    new ApiError("enterprise_owner_required", 403, "You must be an enterprise owner to use this endpoint."),
  organizationOwnerRequired: () =>
    new ApiError("organization_owner_required", 403, "Must be an organization owner to access this resource."),
  /** A classic PAT or OAuth token lacking the scope an endpoint checks. */
  missingOAuthScope: (acceptedScope: string, tokenScopes: readonly string[]) =>
    new ApiError(
      "missing_oauth_scope",
      403,
      `Your token has not been granted the required scopes to execute this query. The '${acceptedScope}' scope is required, ` +
        `but your token has only been granted the: [${tokenScopes.map((s) => `'${s}'`).join(", ")}] scopes.`,
      { headers: { "x-accepted-oauth-scopes": acceptedScope } },
    ),
  fineGrainedPermissionMissing: (acceptedPermissions: string) =>
    new ApiError("resource_not_accessible_by_pat", 403, "Resource not accessible by personal access token", {
      headers: { "x-accepted-github-permissions": acceptedPermissions },
    }),
  integrationPermissionMissing: (acceptedPermissions: string) =>
    new ApiError("resource_not_accessible_by_integration", 403, "Resource not accessible by integration", {
      headers: { "x-accepted-github-permissions": acceptedPermissions },
    }),
  samlEnforced: (tokenKind: "Personal Access token" | "OAuth token", ssoUrl: string) =>
    new ApiError(
      "saml_enforced",
      403,
      `Resource protected by organization SAML enforcement. You must grant your ${tokenKind} access to this organization.`,
      {
        headers: { "x-github-sso": `required; url=${ssoUrl}` },
        documentationUrl:
          "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/",
      },
    ),
  /** POST /credentials/revoke: GitHub documents that any authenticated request gets a 403. */
  unauthenticatedOnly: () =>
    new ApiError(
      "unauthenticated_only",
      403,
      "This endpoint does not accept authenticated requests: send it without an Authorization header.",
    ),
  /** The console (credauth's): a change without its session's CSRF token. */
  consoleCsrfRefused: () =>
    new ApiError(
      "console_csrf_refused",
      403,
      "The console's CSRF token is missing or wrong: reload the page and try again.",
    ),
  /** The console (credauth's): a sign-in that is not JSON from the console's own page (login CSRF). */
  consoleSignInRefused: () =>
    new ApiError(
      "console_sign_in_refused",
      403,
      "Sign in from the console's own page: a sign-in is accepted only as application/json from this origin.",
    ),
  problemsParsingJson: () => new ApiError("problems_parsing_json", 400, "Problems parsing JSON"),
  bodyNotObject: () => new ApiError("body_not_object", 400, "Body should be a JSON object"),
  /** GitHub's schema-violation wording: `Invalid request.\n\nFor 'properties/x', "y" is not a boolean.` */
  invalidRequest: (detail: string) => new ApiError("invalid_request", 422, `Invalid request.\n\n${detail}`),
  /** The harness (credauth's): a reset with no start-up state recorded. */
  noStartState: () =>
    new ApiError(
      "no_start_state",
      409,
      "This server recorded no start-up state to reset to: it records one when it loads its world as it starts (--seed, --demo on an empty database, or startCredauth). Save a snapshot (PUT /_credauth/admin/snapshots/{name}) and restore that instead.",
    ),
  /** The harness (credauth's): a snapshot taken before the database's schema last changed. */
  snapshotOfOtherSchema: () =>
    new ApiError(
      "snapshot_of_other_schema",
      409,
      "This snapshot was taken at another schema version of the database and cannot be restored; take it again.",
    ),
  /** GitHub's rule: a revoked SSO authorization can never be granted again; the user needs a new credential. */
  authorizationPreviouslyRevoked: () =>
    new ApiError(
      "authorization_previously_revoked",
      422,
      "This credential's authorization for the organization was revoked and cannot be granted again; create a new credential.",
    ),
  /** GET /orgs/{org}/members: the 2FA filters are for the organization's owners. */
  ownerOnlyFilter: () => new ApiError("owner_only_filter", 422, "Only owners can use this filter."),
  credentialExists: () => new ApiError("credential_exists", 422, "Invalid request.\n\nThis credential already exists."),
  revokeCredentialsRequiresEmu: () =>
    new ApiError(
      "revoke_credentials_requires_emu",
      422,
      "The `revoke_credentials` option is only available for Enterprise Managed User (EMU) enterprises",
    ),
  firstEmuOwnerNotTargetable: () =>
    new ApiError(
      "first_emu_owner_not_targetable",
      422,
      "The first EMU owner cannot be targeted for credential revocation.",
    ),
  invalidCredentialType: () =>
    new ApiError(
      "invalid_credential_type",
      422,
      `The \`credential_type\` parameter is required and must be one of: ${REVOCABLE_CREDENTIAL_TYPES.join(", ")}`,
    ),
  unsupportedApiVersion: (requested: string) =>
    new ApiError("unsupported_api_version", 400, "Bad Request", {
      documentationUrl: "https://docs.github.com/rest/about-the-rest-api/api-versions",
      extra: {
        errors:
          `The version you specified in the "X-GitHub-API-Version" request header, "${requested}", is not a supported version. ` +
          `The following versions are currently supported: "${SUPPORTED_API_VERSIONS[0]}" (most recent) and "${SUPPORTED_API_VERSIONS[1]}".`,
      },
    }),
  /** The hourly primary limit of a user (x-ratelimit-remaining: 0 tells clients to wait for x-ratelimit-reset). */
  primaryRateLimitExceededForUser: (userId: string, requestId: string, now: Date) =>
    new ApiError(
      "primary_rate_limit_exceeded",
      403,
      `API rate limit exceeded for user ID ${userId}. ${supportSentence(requestId, now)}`,
      {
        documentationUrl: RATE_LIMITS_DOCUMENTATION_URL,
      },
    ),
  /** The hourly primary limit of an IP address without a valid token (failed authentications count). */
  primaryRateLimitExceededForIp: (ip: string, requestId: string, now: Date) =>
    new ApiError(
      "primary_rate_limit_exceeded",
      403,
      `API rate limit exceeded for ${ip}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.) ${supportSentence(requestId, now)}`,
      { documentationUrl: RATE_LIMITS_DOCUMENTATION_URL },
    ),
  secondaryRateLimitExceeded: (requestId: string, retryAfterSeconds: number, now: Date) =>
    new ApiError(
      "secondary_rate_limit_exceeded",
      403,
      `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ${supportSentence(requestId, now)}`,
      {
        documentationUrl: `${RATE_LIMITS_DOCUMENTATION_URL}#about-secondary-rate-limits`,
        headers: { "retry-after": String(retryAfterSeconds) },
      },
    ),
  /** GitHub's edge refuses a request without User-Agent, in plain text (the error handler renders it so). */
  userAgentRequired: () =>
    new ApiError(
      "user_agent_required",
      403,
      "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.",
      { plainText: true },
    ),
  payloadTooLarge: () => new ApiError("payload_too_large", 413, "Payload too large"),
  /** Any other client error the HTTP framework detects (malformed URL, header, ...). */
  clientError: (status: number) => new ApiError("client_error", status, status === 404 ? "Not Found" : "Bad Request"),
  serverError: () => new ApiError("server_error", 500, "Server Error"),
  /** The harness (credauth's): a 5xx a fault rule injects, in the words GitHub answers it with. */
  injectedServerError: (status: 500 | 502 | 503 | 504) =>
    new ApiError(
      "injected_server_error",
      status,
      status === 504
        ? "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists."
        : status === 503
          ? "Service Unavailable"
          : "Server Error",
    ),
  /**
   * The change committed, and not every serving process confirmed seeing it in time: it stands
   * (and runs), so the caller must not send it again; `location` says where it is, if it has one.
   */
  committedNotConfirmed: (retryAfterSeconds: number, location: string | null) =>
    new ApiError(
      "committed_not_confirmed",
      503,
      location === null
        ? "Service Unavailable: the change was accepted and committed, but not every credauth process has confirmed it yet. Do not send it again."
        : "Service Unavailable: the change was accepted and committed, but not every credauth process has confirmed it yet. Do not send it again: it is at the Location given.",
      {
        headers: { "retry-after": String(retryAfterSeconds), ...(location === null ? {} : { location }) },
      },
    ),
  /** The database is unreachable (restarting, down): nothing was done, try again after `retryAfterSeconds`. */
  serviceUnavailable: (retryAfterSeconds: number) =>
    new ApiError(
      "service_unavailable",
      503,
      "Service Unavailable: the database is unavailable; nothing was changed. Try again later.",
      {
        headers: { "retry-after": String(retryAfterSeconds) },
      },
    ),
} as const;

export type ErrorCode = ReturnType<(typeof Errors)[keyof typeof Errors]>["code"];
