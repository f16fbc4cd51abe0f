// The console's files (console/ at the package root: plain HTML, CSS and JavaScript modules, served
// as written), read once at start-up. The served names and the OpenAPI description both come from here.
import { readdirSync, readFileSync } from "node:fs";

const ASSETS_DIR = new URL("../../../console/", import.meta.url);
const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/**
 * Each script and style sheet, by its file name. A Map, not an object: a name from the URL must
 * never reach an object's prototype (`__proto__`, `constructor`).
 */
export const CONSOLE_ASSETS = new Map<string, { type: string; body: Buffer }>(
  readdirSync(ASSETS_DIR)
    .sort()
    .flatMap((file) => {
      const type = TYPES[file.slice(file.lastIndexOf("."))];
      return type === undefined ? [] : [[file, { type, body: readFileSync(new URL(file, ASSETS_DIR)) }] as const];
    }),
);

/** The page itself, served at /_credauth/console/. */
export const CONSOLE_PAGE = {
  type: "text/html; charset=utf-8",
  body: readFileSync(new URL("index.html", ASSETS_DIR)),
};
