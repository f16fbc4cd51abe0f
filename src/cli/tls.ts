// `--tls-self-signed`: a certificate made for the address credauth listens on, kept where the
// configuration says (tls/ beside the data folder) and reused on the next start, so a client
// trusts it once.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname } from "node:path";
import { generate } from "selfsigned";

/**
 * Makes the certificate and key if either is missing: for `host` and for localhost, 127.0.0.1 and
 * ::1, EC P-256, valid 825 days (the longest a client accepts for a server). True when it made them.
 */
export async function ensureSelfSignedCertificate(
  tls: { certFile: string; keyFile: string },
  host: string,
): Promise<boolean> {
  if (existsSync(tls.certFile) && existsSync(tls.keyFile)) return false;
  const names = new Set(["localhost", "127.0.0.1", "::1", host === "0.0.0.0" || host === "::" ? "localhost" : host]);
  const altNames = [...names].map((name) =>
    isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  // real time: clients check a certificate against their own clocks.
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
  mkdirSync(dirname(tls.keyFile), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(tls.certFile), { recursive: true });
  writeFileSync(tls.keyFile, pems.private, { mode: 0o600 });
  writeFileSync(tls.certFile, pems.cert, { mode: 0o644 });
  return true;
}
