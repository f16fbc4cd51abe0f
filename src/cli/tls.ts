// `--tls-self-signed`: a certificate made for the address credauth listens on, kept beside the
// data folder and reused on the next start, so a client trusts it once.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join, resolve } from "node:path";
import { generate } from "selfsigned";
import type { Config } from "../config.ts";

/** Beside the embedded data folder (`.credauth/tls` by default), or `.credauth/tls` here with PostgreSQL. */
export function selfSignedFolder(config: Readonly<Config>): string {
  const dataDir = config.database.kind === "pglite" ? config.database.dataDir : null;
  return dataDir ? join(dirname(dataDir), "tls") : resolve(".credauth", "tls");
}

/**
 * The certificate and key in `folder`, made now if absent: for `host` and for localhost,
 * 127.0.0.1 and ::1, EC P-256, valid 825 days (the longest a client accepts for a server).
 */
export async function selfSignedCertificate(
  folder: string,
  host: string,
): Promise<{ certFile: string; keyFile: string; created: boolean }> {
  const certFile = join(folder, "cert.pem");
  const keyFile = join(folder, "key.pem");
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile, created: false };
  const names = new Set(["localhost", "127.0.0.1", "::1", host === "0.0.0.0" || host === "::" ? "localhost" : host]);
  const altNames = [...names].map((name) =>
    isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  const notBeforeDate = new Date();
  const pems = await generate([{ name: "commonName", value: isIP(host) ? "localhost" : host }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { certFile, keyFile, created: true };
}
