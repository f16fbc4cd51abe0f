// What a request for a narrower token asks for (an installation token, a scoped user token): the
// repositories it names and the permissions it asks, read the same way for both.
import { Errors } from "../errors.ts";

/**
 * The permissions asked for in `fields.permissions` (undefined: none asked), or GitHub's 422.
 * credauth models no repositories: naming any names one the installation cannot reach.
 */
export function requestedPermissions(fields: Record<string, unknown>): Record<string, string> | undefined {
  for (const name of ["repositories", "repository_ids"] as const) {
    const value = fields[name];
    if (value === undefined) continue;
    if (!Array.isArray(value))
      throw Errors.invalidRequest(`For 'properties/${name}', ${JSON.stringify(value)} is not an array.`);
    if (value.length > 0) throw Errors.repositoriesNotAccessible();
  }
  const permissions = fields.permissions;
  if (permissions === undefined) return undefined;
  if (permissions === null || typeof permissions !== "object" || Array.isArray(permissions))
    throw Errors.invalidRequest(`For 'properties/permissions', ${JSON.stringify(permissions)} is not an object.`);
  for (const [name, level] of Object.entries(permissions)) {
    if (typeof level !== "string")
      throw Errors.invalidRequest(`For 'properties/${name}', ${JSON.stringify(level)} is not a string.`);
  }
  return permissions as Record<string, string>;
}
