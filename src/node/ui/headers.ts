// The headers every dashboard file is served with. The policy allows this origin's own
// scripts, styles and API calls only: no inline script or style, no eval, no frames, no
// plugins, nothing from another origin; data the page shows goes in as text (textContent),
// so a service name or an env value can never become markup.

/** The dashboard's Content-Security-Policy. */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Headers of every dashboard file: the policy, no sniffing, no framing, no referrer, revalidated on each load. */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache'
}
