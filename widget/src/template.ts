/**
 * The widget's template renderer: the part of lit-html's `html` / `render` that the widget uses, in
 * a third of its size (docs/widget.md, "Size").
 *
 * - `html\`…\`` returns the strings and the values; nothing is parsed until `render`.
 * - A template's static text is parsed once (a `<template>` element, cached per call site) with a
 *   marker where each value goes: a comment in text, the marker text inside a tag.
 * - Values are only ever set as text nodes, attribute values (`setAttribute`), boolean attributes
 *   (`?name=${…}`) or event listeners (`@event=${…}`): no value is parsed as markup, so a merchant
 *   name or a translation cannot carry script.
 * - Re-rendering the same template updates its bindings in place (DOM nodes, and with them focus,
 *   stay); a different template, or a list item whose template changed, is replaced.
 *
 * Supported, because the widget needs no more: text, nested templates, arrays, `nothing` (also
 * `null`/`undefined`) in children; whole or partial attribute values (`class="a ${b}"`, `nothing`
 * removes the attribute); `?bool`; `@event`. Templates must not put a value inside a comment or
 * a `<style>`/`<textarea>`, nor a `>` inside a static attribute value.
 */

/** What `html` returns: a call site's static strings and this call's values. */
export interface TemplateResult {
  readonly s: TemplateStringsArray;
  readonly v: readonly unknown[];
}

/** Renders nothing: an empty child, or (as a whole attribute value) no attribute. */
export const nothing = Symbol();

export const html = (s: TemplateStringsArray, ...v: unknown[]): TemplateResult => ({ s, v });

/** The marker for a value; random, so no static template text can contain it. */
const M = `sy${Math.random().toString(36).slice(2, 9)}`;

/**
 * A binding of a prepared template: the index of its node in tree order (elements and comments), then
 * either a child (no name), or an attribute: `?name` boolean, `@name` event, else the attribute with
 * the static strings around its values.
 */
type Spec = [node: number, name?: string, strings?: string[]];

const prepared = new WeakMap<TemplateStringsArray, [HTMLTemplateElement, Spec[]]>();

/** The elements and comments of `root`, in tree order. */
function nodesOf(root: Node): Node[] {
  const walker = document.createTreeWalker(root, 129 /* SHOW_ELEMENT | SHOW_COMMENT */);
  const out: Node[] = [];
  while (walker.nextNode()) out.push(walker.currentNode);
  return out;
}

function prepare(strings: TemplateStringsArray): [HTMLTemplateElement, Spec[]] {
  let markup = strings[0]!;
  for (const s of strings.slice(1)) {
    // Inside a tag when its last `<` comes after its last `>`: the value is (part of) an attribute.
    markup += (markup.lastIndexOf('<') > markup.lastIndexOf('>') ? M : `<!--${M}-->`) + s;
  }
  const tpl = document.createElement('template');
  tpl.innerHTML = markup;
  const specs: Spec[] = [];
  nodesOf(tpl.content).forEach((node, i) => {
    if (node.nodeType === 8) {
      if ((node as Comment).data === M) specs.push([i]);
      return;
    }
    const el = node as Element;
    for (const name of el.getAttributeNames()) {
      const value = el.getAttribute(name)!;
      if (value.includes(M)) {
        specs.push([i, name, value.split(M)]);
        el.removeAttribute(name);
      }
    }
  });
  const p: [HTMLTemplateElement, Spec[]] = [tpl, specs];
  prepared.set(strings, p);
  return p;
}

/** Shows a value at one binding; a child takes one value, an attribute one per gap in its text. */
type Setter = (values: readonly unknown[]) => void;

const comment = (): Comment => document.createComment('');

/**
 * A child position: whatever lies between `start` and `end`, two empty comments the renderer owns.
 * Returns the function that shows a value there (text, a template, a list or nothing).
 */
function child(start: ChildNode, end: ChildNode): (v: unknown) => void {
  /** The primitive shown. */
  let last: unknown;
  /** The template shown: its strings and the function that updates its values. */
  let shown: [TemplateStringsArray, Setter] | undefined;
  /** The list shown: each item's setter and its start comment. */
  let items: [(v: unknown) => void, ChildNode][] | undefined;
  /** Removes everything after `from` up to `end`. */
  const cut = (from: ChildNode): void => {
    while (from.nextSibling !== end) from.nextSibling!.remove();
  };
  const clear = (): void => {
    cut(start);
    last = shown = items = undefined;
  };
  return (v) => {
    if (Array.isArray(v)) {
      if (!items) clear();
      const list = (items ??= []);
      v.forEach((item, i) => {
        if (!list[i]) {
          const s = comment();
          const e = comment();
          end.before(s, e);
          list[i] = [child(s, e), s];
        }
        list[i]![0](item);
      });
      // Items past the new length go, with their comments.
      const extra = list[v.length];
      if (extra) {
        cut(extra[1]);
        extra[1].remove();
        list.length = v.length;
      }
      return;
    }
    const t = v as Partial<TemplateResult> | null | undefined;
    if (t?.s && t.v) {
      if (shown?.[0] === t.s) return shown[1](t.v);
      clear();
      const [fragment, update] = instantiate(t.s);
      shown = [t.s, update];
      update(t.v);
      end.before(fragment);
      return;
    }
    if (v === last && !shown && !items) return;
    clear();
    // A string argument of before() becomes a Text node: never markup.
    if (v != null && v !== nothing) end.before(String(v));
    last = v;
  };
}

/** A binding on an element: `@event` listener, `?bool` attribute, else an attribute's value. */
function attribute(el: Element, name: string, strings: string[]): Setter {
  let last: unknown;
  if (name[0] === '@') {
    el.addEventListener(name.slice(1), (e) => (last as ((e: Event) => void) | undefined)?.(e));
    return (vs) => {
      last = vs[0];
    };
  }
  if (name[0] === '?') {
    return (vs) => {
      const on = !!vs[0];
      if (on !== last) el.toggleAttribute(name.slice(1), (last = on));
    };
  }
  return (vs) => {
    const value = vs.includes(nothing) ? nothing : strings.reduce((acc, s, k) => acc + String(vs[k - 1] ?? '') + s);
    if (value === last) return;
    last = value;
    if (value === nothing) el.removeAttribute(name);
    else el.setAttribute(name, value);
  };
}

/** A copy of a template's DOM, and the function that shows values in it. */
function instantiate(strings: TemplateStringsArray): [DocumentFragment, Setter] {
  const [tpl, specs] = prepared.get(strings) ?? prepare(strings);
  const fragment = document.importNode(tpl.content, true);
  const nodes = nodesOf(fragment);
  const setters = specs.map(([i, name, texts]): [Setter, number] => {
    const node = nodes[i] as ChildNode;
    if (name === undefined) {
      (node as Comment).data = '';
      const start = comment();
      node.before(start);
      const set = child(start, node);
      return [(vs) => set(vs[0]), 1];
    }
    return [attribute(node as Element, name, texts!), texts!.length - 1];
  });
  return [
    fragment,
    (values) => {
      let at = 0;
      for (const [set, n] of setters) set(values.slice(at, (at += n)));
    },
  ];
}

const roots = new WeakMap<Node, (v: unknown) => void>();

/** Shows `value` (a template, text, a list or `nothing`) in `container`, updating what it showed before. */
export function render(value: unknown, container: ParentNode & Node): void {
  let set = roots.get(container);
  if (!set) {
    const start = comment();
    const end = comment();
    container.append(start, end);
    roots.set(container, (set = child(start, end)));
  }
  set(value);
}
