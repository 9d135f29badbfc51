export * from './types.ts'
export { ClusterDocument, LOCAL } from './document.ts'
export type { ClusterDocumentInit, DocumentChange } from './document.ts'
export { DATA_DIR_MODE, DATA_FILE_MODE } from './constants.ts'
