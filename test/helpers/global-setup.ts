// node --test --test-global-setup: builds the run's migrated database template once and hands its
// folder to every test process through the environment.
import { rmSync } from "node:fs";
import { buildTemplate, TEMPLATE_VARIABLE } from "./template.ts";

let root: string | null = null;

export async function globalSetup(): Promise<void> {
  const built = await buildTemplate();
  root = built.root;
  process.env[TEMPLATE_VARIABLE] = root;
}

export async function globalTeardown(): Promise<void> {
  if (root) rmSync(root, { recursive: true, force: true });
}
