// Strict validation of what users send: service specs and scale requests. Every
// rejection is a MeshdError naming the field's path, so a bad request changes nothing.

export { parseServiceSpec, parseScaleRequest, storedSpecProblem, type ParseServiceSpecOptions } from './parse.ts'
export { resolveHealth, type ResolvedHealth } from './health.ts'
export { parseDuration, formatDuration } from './duration.ts'
export { stopGraceSeconds } from './process.ts'
export { parseTokenRequest } from './token.ts'
export { parseSource, secretPath } from './files.ts'
export type { TokenRequest } from './token.ts'
export * as specLimits from './constants.ts'
export { ALERT_RULE_FORMS, alertForMs, formatRule, parseAlertRequest, parseRule, parseWebhook, redactWebhook } from './alert.ts'
export type { AlertRequest, AlertRule } from './alert.ts'
export { isIngressHost, normalisePath } from './ingress.ts'
