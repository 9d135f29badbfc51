// Limits of what this node believes about the document.

/** Seal verdicts and public keys remembered (about 150 bytes each). */
export const SEAL_CACHE_ENTRIES = 20_000

/** Records dropped as invalid that are listed at once in /v1/problems (the rest are counted). */
export const MAX_PROBLEMS = 1000
