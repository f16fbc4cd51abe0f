// npm run sql: prints credauth's generated statements as PostgreSQL receives them, scope predicates
// and the audit writer expanded, so a reviewer reads real SQL. `npm run sql -- REVOKE_RANGE` prints one.

import { PRINCIPAL_BY_TOKEN_HASH } from "../src/store/principals.ts";
import { BATCH_STATEMENTS } from "../src/store/revocation-batches.ts";

const statements: Record<string, string> = { ...BATCH_STATEMENTS, PRINCIPAL_BY_TOKEN_HASH };
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in statements));
if (unknown.length > 0) {
  console.error(`unknown statement ${unknown.join(", ")}; known: ${Object.keys(statements).join(", ")}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(statements)) {
  console.log(`-- ${name}\n${statements[name]!.replace(/^ {5}/gm, "")};\n`);
}
