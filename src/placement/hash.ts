// Deterministic hashing for rendezvous ranking: a 64-bit hash of each string computed
// once (two 32-bit lanes), then one cheap mix per (slot, node) pair. Only 32-bit integer
// arithmetic, so every node computes the same bits; no BigInt in the inner loop.
// Weighted scores also take Math.log, which V8 computes in software (its port of
// fdlibm): the same bits on every CPU for a given Node version.

/** murmur3's 32-bit finaliser: full avalanche of one lane. */
export function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/** Writes the 64-bit hash of `text` as lanes `out[2 * at]`, `out[2 * at + 1]`. */
export function hashInto (text: string, out: Int32Array, at: number, seed = 0): void {
  // Two multiplicative lanes over the UTF-16 code units (FNV-1a and a murmur-style
  // step), then murmur3 x86_128's cross-lane finalisation.
  let a = 0x811c9dc5 ^ seed
  let b = 0x2545f491 ^ seed
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  a ^= text.length
  b ^= text.length
  a = (a + b) | 0
  b = (b + a) | 0
  a = fmix32(a)
  b = fmix32(b)
  out[2 * at] = (a + b) | 0
  out[2 * at + 1] = (b + a + b) | 0
}

/** The unsigned 32-bit hash of `text`. */
export function hash32 (text: string, seed = 0): number {
  const out = new Int32Array(2)
  hashInto(text, out, 0, seed)
  return out[0]! >>> 0
}

/**
 * u ∈ (0, 1) for the pair of 64-bit hashes (a1, b1) and (a2, b2): 52 uniform bits,
 * never 0 nor 1, so ln(u) is finite and negative.
 */
export function unitHash (a1: number, b1: number, a2: number, b2: number): number {
  let a = a1 ^ a2
  let b = b1 ^ b2
  a = (a + b) | 0
  b = (b + a) | 0
  a = fmix32(a)
  b = fmix32(b)
  a = (a + b) | 0
  b = (b + a) | 0
  return ((a >>> 0) * 1048576 + (b >>> 12) + 0.5) / 4503599627370496
}
