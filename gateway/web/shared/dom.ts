/** DOM helpers shared by the widget, the storefront and the console. */

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/**
 * Creates `<tag>` with attributes (`class`, `aria-*`, `data-*`, ...; `false`/undefined are left
 * out, `true` is an empty attribute) and children (strings become text, never HTML).
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** The element with `id`; a missing one is a bug in the page's HTML (thrown at start-up). */
export function byId<T extends Element = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`${location.pathname} has no #${id}`);
  return node as unknown as T;
}
