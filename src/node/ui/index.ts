export { uiFile, uiFileNames } from './files.ts'
export type { UiFile } from './files.ts'
export { UI_CSP, UI_HEADERS } from './headers.ts'
