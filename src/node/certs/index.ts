// TLS certificates of the ingress: given by hand (checked, the key sealed) or issued by
// ACME once for the cluster (a lease in the document, the challenges answered by every
// node), and served by every node from the document (docs/architecture.md, "Certificates").

export { CertificateContexts } from './contexts.ts'
export type { CertificateContextsInit } from './contexts.ts'
export { CertDriver } from './driver.ts'
export type { CertDriverInit } from './driver.ts'
export { acmeOf, backoffMs, certificateFor, hostProblem, issuerOf, leaseHolder, mayIssue, needsCertificate, servicesOf, tlsHosts, wildcardOf } from './hosts.ts'
export { issue, newAccountKey } from './issuer.ts'
export type { IssueRequest, Issued } from './issuer.ts'
export { openAccountKey, openCertKey, sealAccountKey, sealCertKey } from './keys.ts'
export { certificateProblem, checkCertificate, covers, parseChain } from './validate.ts'
export type { CheckedCertificate } from './validate.ts'
export { certView, certViews, serviceCertificates } from './views.ts'
export type { CertView, ServiceCertificate } from './views.ts'
export type { AcmeSettings, IngressCertificates } from './types.ts'
export * as constants from './constants.ts'
