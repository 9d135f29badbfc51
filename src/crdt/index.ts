export * from './types.ts'
export { ClusterDocument, LOCAL } from './document.ts'
export type { ClusterDocumentInit, DocumentChange } from './document.ts'
