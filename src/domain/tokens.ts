// GitHub token formats, generation and hashing. Tokens are secrets: only their SHA-256 and last
// eight characters are ever stored, and nothing here logs or returns them past their creation.
import { createHash, getRandomValues, hash, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";
import type { CredentialType } from "./model.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type TokenCredentialType = Exclude<CredentialType, "ssh_key">;

export const TOKEN_PREFIXES: Record<TokenCredentialType, string> = {
  classic_pat: "ghp_",
  fine_grained_pat: "github_pat_",
  oauth_app_token: "gho_",
  github_app_token: "ghu_",
};

/** `ghp_`/`gho_`/`ghu_` + 36 base62 characters: 30 random, then a 6-character checksum. */
const SHORT_TOKEN = /^(ghp|gho|ghu)_[A-Za-z0-9]{36}$/;
/** `github_pat_` + 22 + `_` + 59 base62 characters (the last 6 a checksum). */
const FINE_GRAINED_TOKEN = /^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$/;

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
  if (type === "fine_grained_pat") {
    const id = randomBase62(22);
    const secret = randomBase62(53);
    return `github_pat_${id}_${secret}${checksum(id + secret)}`;
  }
  const random = randomBase62(30);
  return `${TOKEN_PREFIXES[type]}${random}${checksum(random)}`;
}

/** Which credential type a token's prefix says it is, when its shape is right; null otherwise. */
export function tokenTypeOf(token: string): TokenCredentialType | null {
  if (FINE_GRAINED_TOKEN.test(token)) return "fine_grained_pat";
  const match = SHORT_TOKEN.exec(token);
  if (!match) return null;
  return ({ ghp: "classic_pat", gho: "oauth_app_token", ghu: "github_app_token" } as const)[
    match[1] as "ghp" | "gho" | "ghu"
  ];
}

/** True when the checksum embedded in a generated token matches. Fixture tokens need not pass. */
export function hasValidChecksum(token: string): boolean {
  const type = tokenTypeOf(token);
  if (type === null) return false;
  if (type === "fine_grained_pat") {
    const [, id, rest] = /^github_pat_([A-Za-z0-9]{22})_([A-Za-z0-9]{59})$/.exec(token) ?? [];
    if (!id || !rest) return false;
    return checksum(id + rest.slice(0, 53)) === rest.slice(53);
  }
  const body = token.slice(4);
  return checksum(body.slice(0, 30)) === body.slice(30);
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
