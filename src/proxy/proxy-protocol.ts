// PROXY protocol v2 (haproxy.org/download/2.9/doc/proxy-protocol.txt): a binary header
// before any data that tells the upstream the client's address.

import { isIPv4, isIPv6 } from 'node:net'

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
const VERSION_PROXY = 0x21
const VERSION_LOCAL = 0x20
const TCP_IPV4 = 0x11
const TCP_IPV6 = 0x21
const UNSPEC = 0x00

/** The v2 header for a TCP connection from source to destination; LOCAL if not IP. */
export function proxyHeader (srcAddr: string | undefined, srcPort: number | undefined, dstAddr: string | undefined, dstPort: number | undefined): Buffer {
  const src = unmapped(srcAddr)
  const dst = unmapped(dstAddr)
  if (isIPv4(src) && isIPv4(dst)) {
    const b = Buffer.allocUnsafe(28)
    SIGNATURE.copy(b, 0)
    b[12] = VERSION_PROXY
    b[13] = TCP_IPV4
    b.writeUInt16BE(12, 14)
    writeIPv4(b, 16, src)
    writeIPv4(b, 20, dst)
    b.writeUInt16BE(srcPort ?? 0, 24)
    b.writeUInt16BE(dstPort ?? 0, 26)
    return b
  }
  if (isIPv6(src) && isIPv6(dst)) {
    const b = Buffer.alloc(52)
    SIGNATURE.copy(b, 0)
    b[12] = VERSION_PROXY
    b[13] = TCP_IPV6
    b.writeUInt16BE(36, 14)
    writeIPv6(b, 16, src)
    writeIPv6(b, 32, dst)
    b.writeUInt16BE(srcPort ?? 0, 48)
    b.writeUInt16BE(dstPort ?? 0, 50)
    return b
  }
  const b = Buffer.alloc(16)
  SIGNATURE.copy(b, 0)
  b[12] = VERSION_LOCAL
  b[13] = UNSPEC
  return b
}

// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
function unmapped (addr: string | undefined): string {
  if (addr === undefined) return ''
  return addr.startsWith('::ffff:') && isIPv4(addr.slice(7)) ? addr.slice(7) : addr
}

function writeIPv4 (b: Buffer, at: number, addr: string): void {
  const parts = addr.split('.')
  for (let k = 0; k < 4; k++) b[at + k] = Number(parts[k])
}

function writeIPv6 (b: Buffer, at: number, addr: string): void {
  const [head = '', tail = ''] = addr.split('::') as [string?, string?]
  const h = head === '' ? [] : head.split(':')
  const t = addr.includes('::') && tail !== '' ? tail.split(':') : []
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t]
  for (let k = 0; k < 8; k++) b.writeUInt16BE(Number.parseInt(groups[k] ?? '0', 16), at + 2 * k)
}
