// The CRC-32 of any byte range of a buffer in near-constant time, after one pass over
// it. scan.ts asks, for every offset after a defect, whether a record starts there:
// one checksum over as many bytes as the length field there claims. Done directly the
// search is quadratic (a torn 1 MiB record took seconds, a torn 10 MiB sync diff would
// take hours). With the CRC of every prefix, the CRC of a range follows from the two
// prefixes around it, by zlib's crc32_combine algebra (polynomials over GF(2)):
//   crc(A ‖ B) = crc(A) · x^(8·|B|) ⊕ crc(B)   (mod the CRC polynomial)
// so crc(buf[a, b)) = prefix[b] ⊕ prefix[a] · x^(8·(b − a)). Multiplying by x^(8·2^k)
// is a linear map of 32 bits, kept as four 256-entry tables per k, so one range costs
// a table step per set bit of its length.

/** The reflected IEEE polynomial, as zlib and node:zlib's crc32 use it. */
const POLY = 0xedb88320
const ONE = 0x80000000 // x^0 in the reflected representation

const BYTE_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
  return c >>> 0
})

// POWERS[k] = x^(2^k) mod P. Lengths stay below 2^29 bytes (MAX_RECORD_BYTES), so
// 8·length stays below 2^32 and k below 32.
const POWERS = new Uint32Array(32)
POWERS[0] = ONE >>> 1 // x^1
for (let k = 1; k < 32; k++) POWERS[k] = multiply(POWERS[k - 1] ?? 0, POWERS[k - 1] ?? 0)

// SHIFTS[k]: appending 2^k zero bytes, i.e. multiplying by x^(8·2^k) = POWERS[k + 3]; built on first use.
const SHIFTS: Array<Uint32Array | undefined> = []

/** The CRC-32 of every prefix of one buffer, and from them of any range of it. */
export class RangeCrc {
  private readonly prefix: Uint32Array

  constructor (buf: Uint8Array) {
    this.prefix = new Uint32Array(buf.byteLength + 1)
    let register = 0xffffffff
    for (let i = 0; i < buf.byteLength; i++) {
      register = (BYTE_TABLE[(register ^ (buf[i] ?? 0)) & 0xff] ?? 0) ^ (register >>> 8)
      this.prefix[i + 1] = ~register >>> 0
    }
  }

  /** The CRC-32 of the buffer's bytes [start, end), equal to node:zlib's crc32 of them. */
  of (start: number, end: number): number {
    return ((this.prefix[end] ?? 0) ^ shift(this.prefix[start] ?? 0, end - start)) >>> 0
  }
}

// crc · x^(8·bytes): the CRC of the same bytes followed by `bytes` zero bytes, minus theirs.
function shift (crc: number, bytes: number): number {
  for (let k = 0, n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 0) continue
    const table = shiftTable(k)
    crc = (table[crc & 0xff] ?? 0) ^ (table[256 + ((crc >>> 8) & 0xff)] ?? 0) ^
      (table[512 + ((crc >>> 16) & 0xff)] ?? 0) ^ (table[768 + (crc >>> 24)] ?? 0)
  }
  return crc >>> 0
}

function shiftTable (k: number): Uint32Array {
  let table = SHIFTS[k]
  if (table === undefined) {
    const power = POWERS[k + 3] ?? 0
    table = new Uint32Array(1024)
    for (let byte = 0; byte < 4; byte++) {
      for (let value = 0; value < 256; value++) table[byte * 256 + value] = multiply(power, (value << (8 * byte)) >>> 0)
    }
    SHIFTS[k] = table
  }
  return table
}

// a · b mod P, both in the reflected representation (zlib's multmodp).
function multiply (a: number, b: number): number {
  let product = 0
  let rest = a >>> 0
  for (let bit = ONE; rest !== 0; bit >>>= 1) {
    if ((rest & bit) !== 0) {
      product ^= b
      rest = (rest ^ bit) >>> 0
    }
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1
  }
  return product >>> 0
}
