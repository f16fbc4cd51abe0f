// @ts-check
// Building the page: elements from data, never HTML from data.

/**
 * @param {string} tag
 * @param {Record<string, any> | null} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** @param {string} text */
export function announce(text) {
  const region = document.getElementById("announce");
  if (region) region.textContent = text;
}

/** Shows a page: its title as the h1, focused, so a screen reader and the keyboard start there. */
export function show(/** @type {string} */ title, /** @type {(Node | string | null | false)[]} */ ...content) {
  const main = /** @type {HTMLElement} */ (document.getElementById("main"));
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, .../** @type {(Node | string)[]} */ (content.filter((c) => c !== null && c !== false)));
  document.title = `${title} · credauth console`;
  heading.focus();
}

/** @param {string} message @param {"error" | "warning" | "ok" | ""} [kind] */
export const notice = (message, kind = "") =>
  h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, message);

/** @param {Record<string, number>} counts */
export const countsTable = (counts, caption) =>
  h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, "Credential type"),
          h("th", { scope: "col", class: "number" }, "Count"),
        ),
      ),
      h(
        "tbody",
        null,
        ...Object.entries(counts)
          .filter(([type]) => type !== "total")
          .map(([type, n]) => h("tr", null, h("td", null, h("code", null, type)), h("td", { class: "number" }, n))),
        h(
          "tr",
          null,
          h("th", { scope: "row" }, "Total"),
          h("td", { class: "number" }, h("strong", null, counts.total ?? 0)),
        ),
      ),
    ),
  );

/**
 * A table of rows, or a line saying there are none.
 * @param {string[]} columns @param {HTMLElement[]} rows @param {string} empty
 */
export const dataTable = (columns, rows, empty) =>
  rows.length === 0
    ? h("p", { class: "muted" }, empty)
    : h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          null,
          h("thead", null, h("tr", null, ...columns.map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, ...rows),
        ),
      );
