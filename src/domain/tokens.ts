// GitHub token formats, generation and hashing. Tokens are secrets: only their SHA-256 and last
// eight characters are ever stored, and nothing here logs or returns them past their creation.
import { createHash, getRandomValues, hash, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";
import { CREDENTIAL_TYPE_FACTS, TOKEN_CREDENTIAL_TYPES, type TokenCredentialType } from "./credential-types.ts";

export type { TokenCredentialType } from "./credential-types.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** What follows a token's prefix, by shape (credential-types.ts), with the random part and checksum as groups. */
const SHAPE_BODY = {
  short: "([A-Za-z0-9]{30})([A-Za-z0-9]{6})",
  "fine-grained": "([A-Za-z0-9]{22})_([A-Za-z0-9]{53})([A-Za-z0-9]{6})",
} as const;

/** One anchored pattern per token type, from its prefix and shape. */
const TOKEN_PATTERNS = TOKEN_CREDENTIAL_TYPES.map((type) => {
  const { prefix, shape } = CREDENTIAL_TYPE_FACTS[type];
  return { type, pattern: new RegExp(`^${prefix}${SHAPE_BODY[shape]}$`) };
});

const prefixOf = (type: TokenCredentialType): string => CREDENTIAL_TYPE_FACTS[type].prefix;

function randomBase62(length: number): string {
  // Rejection sampling keeps every character uniform: 62 * 4 = 248 values of a byte are used.
  let out = "";
  while (out.length < length) {
    const bytes = getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** CRC32 of the random part, Base62-encoded and left-padded to six characters. */
export function checksum(randomPart: string): string {
  let value = crc32(randomPart);
  let encoded = "";
  do {
    encoded = BASE62[value % 62] + encoded;
    value = Math.floor(value / 62);
  } while (value > 0);
  return encoded.padStart(6, "0");
}

/**
 * A new token in GitHub's format. Entropy: 30 base62 characters ≈ 178 bits for the short forms,
 * 22 + 53 characters ≈ 446 bits for fine-grained tokens.
 */
export function generateToken(type: TokenCredentialType): string {
  if (CREDENTIAL_TYPE_FACTS[type].shape === "fine-grained") {
    const id = randomBase62(22);
    const secret = randomBase62(53);
    return `${prefixOf(type)}${id}_${secret}${checksum(id + secret)}`;
  }
  const random = randomBase62(30);
  return `${prefixOf(type)}${random}${checksum(random)}`;
}

/** The token's type and the parts of its body (random parts, then the checksum), when its shape is right. */
function parseToken(token: string): { type: TokenCredentialType; parts: string[] } | null {
  for (const { type, pattern } of TOKEN_PATTERNS) {
    const match = pattern.exec(token);
    if (match) return { type, parts: match.slice(1) };
  }
  return null;
}

/** Which credential type a token's prefix says it is, when its shape is right; null otherwise. */
export function tokenTypeOf(token: string): TokenCredentialType | null {
  return parseToken(token)?.type ?? null;
}

/** True when the checksum embedded in a generated token matches. Fixture tokens need not pass. */
export function hasValidChecksum(token: string): boolean {
  const parsed = parseToken(token);
  if (parsed === null) return false;
  const sum = parsed.parts.at(-1)!;
  return checksum(parsed.parts.slice(0, -1).join("")) === sum;
}

export function hashToken(token: string): Buffer {
  // The one-shot form: no Hash object per request.
  return hash("sha256", token, "buffer");
}

/** Constant-time comparison of two token hashes, so timing reveals nothing about a near miss. */
export function tokenHashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function lastEight(token: string): string {
  return token.slice(-8);
}

/** `SHA256:<base64 without padding>` of an OpenSSH public key's blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(publicKey: string): string | null {
  const [algorithm, blob] = publicKey.trim().split(/\s+/);
  if (!algorithm || !blob || !/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$/.test(algorithm))
    return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return null;
  const bytes = Buffer.from(blob, "base64");
  if (bytes.length < 16) return null;
  return `SHA256:${createHash("sha256").update(bytes).digest("base64").replace(/=+$/, "")}`;
}

/** Anything shaped like a GitHub token (any prefix, any length GitHub allows), wherever it stands. */
const TOKEN_LIKE = /\b(?:gh[pousr](?:_|%5F)|github(?:_|%5F)pat(?:_|%5F))[A-Za-z0-9_%]{8,}/gi;
/** Query parameters whose value is a secret by name, whatever it looks like. */
const SECRET_PARAMETER = /([?&](?:access_token|token|client_secret|password|secret|key)=)[^&#]*/gi;

/** A URL fit for a log line: secret-named parameters and token-shaped strings replaced. */
export function redactUrlSecrets(url: string): string {
  return url.replace(SECRET_PARAMETER, "$1[redacted]").replace(TOKEN_LIKE, "[redacted]");
}
