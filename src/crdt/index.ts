export * from './types.ts'
export { ClusterDocument } from './document.ts'
export type { ClusterDocumentInit, DocumentChange } from './document.ts'
