// Secrets credauth must be able to read back (a webhook's signing secret: an HMAC needs the secret
// itself, so a hash will not do) are stored encrypted with AES-256-GCM under a key the database
// never holds: from the environment, from a file, or — embedded — a file made beside the data folder.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, type SecretsKeySource } from "./config.ts";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  encrypt(secret: string): Buffer;
  /** The secret, or an error if the ciphertext was made under another key or altered. */
  decrypt(sealed: Uint8Array): string;
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("the secrets key must be 32 bytes");
  return {
    encrypt(secret) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
    },
    decrypt(sealed) {
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    },
  };
}

const KEY_TEXT = /^[0-9a-fA-F]{64}$/;

/**
 * The configured key as a SecretBox, or null when none is configured. A key file that exists is
 * read now, so a bad one stops the start; an embedded data folder's key file is made (mode 0600)
 * only when a secret is first encrypted.
 */
export function openSecretBox(source: SecretsKeySource | null): SecretBox | null {
  if (source === null) return null;
  if (source.kind === "hex") return secretBox(Buffer.from(source.hex, "hex"));
  if (existsSync(source.file) || !source.create) return secretBox(readKeyFile(source.file));
  let box: SecretBox | null = null;
  const opened = () => {
    if (box) return box;
    if (!existsSync(source.file)) {
      mkdirSync(dirname(source.file), { recursive: true, mode: 0o700 });
      writeFileSync(source.file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    }
    box = secretBox(readKeyFile(source.file));
    return box;
  };
  return { encrypt: (secret) => opened().encrypt(secret), decrypt: (sealed) => opened().decrypt(sealed) };
}

function readKeyFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError(
      `--secrets-key-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
    );
  }
  if (!KEY_TEXT.test(text))
    throw new ConfigError(
      `--secrets-key-file ${file} must hold 64 hexadecimal digits; make one with \`openssl rand -hex 32\`.`,
    );
  return Buffer.from(text, "hex");
}
