// Building DOM without HTML strings: every text goes in through
// textContent, so nothing fetchd reports (file names, errors from
// upstream) can become markup. Trusted Types would refuse the other way.

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

export function append(parent, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return parent;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export const $ = (sel, root) => (root || document).querySelector(sel);

// dl builds a definition list from [term, value] pairs, skipping empty
// values.
export function dl(pairs, cls) {
  const list = el('dl', { class: cls });
  for (const [k, v] of pairs) {
    if (v === '' || v === null || v === undefined) continue;
    list.append(el('dt', { text: k }), el('dd', {}, v));
  }
  return list;
}

// svg makes an SVG element (the disk chart).
export function svg(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}
