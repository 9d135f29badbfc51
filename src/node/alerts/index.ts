// Alerts: rules over the cluster evaluated once cluster-wide by each rule's coordinator,
// notifications posted to a webhook in Alertmanager's format, never twice for one firing
// (state.ts), and the views the API and the CLI show.

export { AlertDriver } from './driver.ts'
export type { AlertDriverInit } from './driver.ts'
export { evaluateRule, labelKey } from './evaluate.ts'
export type { AlertSamples, CpuSample, Evaluation, TrafficSample } from './evaluate.ts'
export { noteFailures } from './failures.ts'
export type { FailureLog } from './failures.ts'
export { fingerprintOf, nextState, noticeDone, noticeOf, sending, takeOver } from './state.ts'
export type { RuleRef } from './state.ts'
export { webhookPayload, ZERO_TIME } from './payload.ts'
export type { WebhookAlert, WebhookPayload } from './payload.ts'
export { postWebhook } from './webhook.ts'
export { openWebhook, sealWebhook, shownWebhook } from './credentials.ts'
export type { Delivery, PostOptions } from './webhook.ts'
export * as constants from './constants.ts'
