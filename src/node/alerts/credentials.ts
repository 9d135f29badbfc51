// A webhook URL's credentials (user name and password) are never at rest in plaintext:
// the document keeps the URL without them and the "user:password" part sealed under the
// cluster's secrets key, bound to the alert's name (stored/ crypto, as secret versions).
// Only the coordinator opens them, to post.

import type { AlertRecord } from '../../crdt/index.ts'
import { openContent, sealContent } from '../stored/index.ts'

/** The name the credentials are bound to: no secret is named with a "/", so none can stand in for them. */
const boundName = (alert: string): string => `alert-webhook/${alert}`

/** `notify` as stored: the URL without credentials, and the credentials sealed when it had any. */
export function sealWebhook (secretsKey: Buffer | undefined, alert: string, webhook: string): AlertRecord['notify'] {
  const url = new URL(webhook)
  if (url.username === '' && url.password === '') return { webhook }
  if (secretsKey === undefined) throw new Error('this node has no secrets key to seal the webhook\'s credentials with')
  const userinfo = `${url.username}:${url.password}`
  url.username = ''
  url.password = ''
  return { webhook: url.toString(), credentials: sealContent(secretsKey, boundName(alert), 1, Buffer.from(userinfo, 'utf8')) }
}

/** The URL to post to, with its credentials opened; throws when they do not open (another cluster's key, a tampered record). */
export function openWebhook (secretsKey: Buffer | undefined, alert: string, notify: AlertRecord['notify']): string {
  if (notify.credentials === undefined) return notify.webhook
  if (secretsKey === undefined) throw new Error('this node has no secrets key to open the webhook\'s credentials with')
  const userinfo = openContent(secretsKey, { name: boundName(alert), version: 1, ...notify.credentials }).toString('utf8')
  const colon = userinfo.indexOf(':')
  const url = new URL(notify.webhook)
  // Already percent-encoded as the URL had them.
  url.username = userinfo.slice(0, colon)
  url.password = userinfo.slice(colon + 1)
  return url.toString()
}

/** The webhook as views and logs show it: "https://redacted@host/…" when it has credentials. */
export function shownWebhook (notify: AlertRecord['notify']): string {
  if (notify.credentials === undefined) return notify.webhook
  const url = new URL(notify.webhook)
  url.username = 'redacted'
  return url.toString()
}
