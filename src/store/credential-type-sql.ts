// Facts of the credential-type table (domain/credential-types.ts) as SQL, so statements read them
// from the one table instead of naming types. Built once at start-up from constants of the domain,
// never from client input, so inlining them as literals is safe; each statement's text stays fixed.
import { CREDENTIAL_TYPE_FACTS, CREDENTIAL_TYPES, type CredentialTypeFacts } from "../domain/credential-types.ts";

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `case <column> when 'type' then '<fact>' … end`: null for types without the fact. */
export function caseByCredentialType(column: string, fact: (facts: CredentialTypeFacts) => string | null): string {
  const arms = CREDENTIAL_TYPES.flatMap((type) => {
    const value = fact(CREDENTIAL_TYPE_FACTS[type]);
    return value === null ? [] : [`when ${literal(type)} then ${literal(value)}`];
  });
  return arms.length === 0 ? "null::text" : `(case ${column} ${arms.join(" ")} end)`;
}

/** `('a', 'b')`: the types with a fact, for `<column> in …`. */
export function credentialTypesWhere(test: (facts: CredentialTypeFacts) => boolean): string {
  const types = CREDENTIAL_TYPES.filter((type) => test(CREDENTIAL_TYPE_FACTS[type]));
  return types.length === 0 ? "(null)" : `(${types.map(literal).join(", ")})`;
}
