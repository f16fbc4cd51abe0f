// Bodies that are a pure function of a few values (the caller's own user, an organization's
// profile) are rendered once and kept under a key made of every input: they cannot go stale, only
// be evicted. Rendering them was a sixth of the CPU of a cached authenticated read
// (docs/performance.md).

/** How many characters of rendered bodies one memo keeps; past it the memo starts over. */
const RENDERED_CHARACTERS = 16_000_000;

export type RenderedBodies = (key: string, render: () => unknown) => string;

export function renderedBodies(): RenderedBodies {
  const rendered = new Map<string, string>();
  let characters = 0;
  return (key, render) => {
    let body = rendered.get(key);
    if (body === undefined) {
      body = JSON.stringify(render());
      if (characters + body.length > RENDERED_CHARACTERS) {
        rendered.clear();
        characters = 0;
      }
      rendered.set(key, body);
      characters += body.length;
    }
    return body;
  };
}
