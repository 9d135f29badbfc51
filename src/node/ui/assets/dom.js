// Builds the page's nodes from data as text only: no markup is ever parsed from a string
// (nodes and text nodes only), and attributes that could run or load something are refused,
// so a service name, an env value or an event message can only ever show as text.

const SVG = 'http://www.w3.org/2000/svg'
const UNSAFE_ATTRIBUTE = /^(on|href$|src$|srcdoc$|style$|formaction$|xlink:|action$)/i

/** An HTML element with attributes and children (strings become text nodes). */
export function h (tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children)
}

/** An SVG element, likewise. */
export function svg (tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children)
}

function fill (node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (UNSAFE_ATTRIBUTE.test(name)) throw new Error(`dom: attribute "${name}" is not set from data`)
    node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    node.append(child instanceof Node ? child : String(child))
  }
  return node
}

/** "12:04:05" in the browser's time zone. */
export function clock (ms) {
  const d = new Date(ms)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}

/** "1.5 KB", "320 B". */
export function bytes (n) {
  if (!Number.isFinite(n) || n < 1024) return `${Math.round(Number.isFinite(n) ? n : 0)} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = -1
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++ }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
