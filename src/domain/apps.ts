// GitHub Apps: how an App proves who it is (an RS256 JWT its private key signs, checked by GitHub's
// rules of time and issuer), and what an installation token it mints may do (the installation's
// permissions, or fewer). A refused JWT is a value that names GitHub's message, not an exception.
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";

/** An installation token lives one hour from its creation, on credauth's clock. */
export const INSTALLATION_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** The longest a JWT may live (`exp` - `iat`), and how far either may be off the server's clock. */
export const JWT_MAX_LIFETIME_SECONDS = 10 * 60;
export const JWT_CLOCK_DRIFT_SECONDS = 60;

/** Why a JWT was refused, each answered with GitHub's own message (errors.ts). */
export type JwtRefusal =
  | "not_decodable"
  | "issuer_invalid"
  | "issued_at_invalid"
  | "expired"
  | "too_far_in_future"
  | "unknown_app";

/** What a JWT claims before its signature is checked: whose key must verify it. */
export type JwtClaim = { issuer: { kind: "id"; id: number } | { kind: "client_id"; clientId: string } };

/** A token that is shaped as a JWT (three Base64url parts, a JSON header): sent to the App path. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The issuer a JWT names, once its header says RS256 and its claims obey GitHub's rules at `nowMs`:
 * `iat` an integer no more than the drift ahead, `exp` not past (with the drift) and at most ten
 * minutes after `iat` and from now. The signature is checked next, with the issuer's key.
 */
export function readJwtClaims(
  jwt: string,
  nowMs: number,
): { ok: true; claim: JwtClaim } | { ok: false; refusal: JwtRefusal } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(jwt);
    payload = decodeJwt(jwt);
  } catch {
    return { ok: false, refusal: "not_decodable" };
  }
  if (header.alg !== "RS256") return { ok: false, refusal: "not_decodable" };
  const now = Math.floor(nowMs / 1000);
  const { iss, iat, exp } = payload;
  let issuer: JwtClaim["issuer"];
  if (typeof iss === "number" && Number.isSafeInteger(iss) && iss > 0) issuer = { kind: "id", id: iss };
  else if (typeof iss === "string" && /^[1-9][0-9]{0,14}$/.test(iss)) issuer = { kind: "id", id: Number(iss) };
  else if (typeof iss === "string" && /^[A-Za-z0-9.]{1,64}$/.test(iss)) issuer = { kind: "client_id", clientId: iss };
  else return { ok: false, refusal: "issuer_invalid" };
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > now + JWT_CLOCK_DRIFT_SECONDS)
    return { ok: false, refusal: "issued_at_invalid" };
  if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= now - JWT_CLOCK_DRIFT_SECONDS)
    return { ok: false, refusal: "expired" };
  if (exp - iat > JWT_MAX_LIFETIME_SECONDS || exp > now + JWT_MAX_LIFETIME_SECONDS + JWT_CLOCK_DRIFT_SECONDS)
    return { ok: false, refusal: "too_far_in_future" };
  return { ok: true, claim: { issuer } };
}

/** Whether the JWT's signature is the issuer's private key's (its public key as SPKI PEM). */
export async function jwtSignedBy(jwt: string, publicKeyPem: string): Promise<boolean> {
  try {
    await compactVerify(jwt, createPublicKey(publicKeyPem), { algorithms: ["RS256"] });
    return true;
  } catch {
    return false;
  }
}

/**
 * The public half of a private key given as PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8), as SPKI PEM;
 * null when the text is not an RSA private key of at least 2048 bits.
 */
export function publicKeyOf(privateKeyPem: string): string | null {
  let key: KeyObject;
  try {
    key = createPublicKey(privateKeyPem);
  } catch {
    return null;
  }
  if (key.asymmetricKeyType !== "rsa") return null;
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return null;
  // A public key given where the private one belongs is refused too: the App signs with it.
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKeyPem)) return null;
  return key.export({ type: "spki", format: "pem" }).toString();
}

/** A new App key pair as GitHub hands it out: the private key in PKCS#1 PEM, and its public half. */
export function generateAppKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKey, publicKey };
}

const LEVEL_RANK: Readonly<Record<string, number>> = { read: 1, write: 2, admin: 3 };

/**
 * The permissions a new installation token gets: all of the installation's, or the requested ones
 * when each is within them; null when any asks for more than the installation holds (GitHub's 422).
 */
export function narrowedPermissions(
  installation: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, string>> | undefined,
): Record<string, string> | null {
  if (requested === undefined || Object.keys(requested).length === 0) return { ...installation };
  for (const [name, level] of Object.entries(requested)) {
    const held = LEVEL_RANK[installation[name] ?? ""] ?? 0;
    const asked = LEVEL_RANK[level] ?? Number.POSITIVE_INFINITY;
    if (asked > held) return null;
  }
  return { ...requested };
}

/** Whether `inner` asks for nothing `outer` does not hold (an installation's permissions within its App's). */
export function permissionsWithin(
  inner: Readonly<Record<string, string>>,
  outer: Readonly<Record<string, string>>,
): boolean {
  return narrowedPermissions(outer, inner) !== null;
}

/** A client id in GitHub's shape for App client ids (`Iv23li` and 14 more), when a fixture gives none. */
export function generateClientId(): string {
  return `Iv23li${randomBytes(7).toString("hex")}`;
}

/** A client secret as GitHub makes them: 40 hexadecimal characters. */
export function generateClientSecret(): string {
  return randomBytes(20).toString("hex");
}
