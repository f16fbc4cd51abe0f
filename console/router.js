// @ts-check
// Routing: each page has an address #/path?query; going there, or coming back, renders it.

export function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return {
    parts: (path ?? "").split("/").filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(query ?? ""),
  };
}

/** @param {string} hash */
export const go = (hash) => {
  location.hash = hash;
};

/** Renders the current page again, after a change it shows. */
export const refresh = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

/** @type {(() => void)[]} what the current page holds open (an event stream), closed when it is left */
const openedByPage = [];
/** @param {() => void} close */
export const onLeave = (close) => void openedByPage.push(close);
export const leave = () => {
  for (const close of openedByPage.splice(0)) close();
};
