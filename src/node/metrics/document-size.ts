// meshd_document_bytes without encoding the whole document at every scrape: its size is
// measured again only when its state vector moved (a write anywhere) or the last
// measure is older than DOCUMENT_SIZE_MAX_AGE_MS (a deletion moves no state vector).

import { DOCUMENT_SIZE_MAX_AGE_MS } from './constants.ts'

export interface SizedDocument {
  encodeState: () => Uint8Array
  encodeStateVector: () => Uint8Array
}

/** A function answering the document's encoded size, measured again only when it may have changed. */
export function documentSize (document: SizedDocument, now: () => number = Date.now): () => number {
  let vector: Buffer | undefined
  let bytes = 0
  let measuredAt = -Infinity
  return () => {
    const current = Buffer.from(document.encodeStateVector())
    if (vector === undefined || !current.equals(vector) || now() - measuredAt >= DOCUMENT_SIZE_MAX_AGE_MS) {
      bytes = document.encodeState().byteLength
      vector = current
      measuredAt = now()
    }
    return bytes
  }
}
