// DNS over TCP frames each message with its length in two bytes (RFC 1035 §4.2.2);
// dns-packet's streamEncode does the same for packets it encodes, but the server also
// relays upstream answers byte for byte, so it frames buffers.

/** The message with its two-byte length in front. */
export function frame (message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(message.length + 2)
  framed.writeUInt16BE(message.length, 0)
  message.copy(framed, 2)
  return framed
}

/** Collects a TCP stream's chunks and hands out the whole messages in it. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0)

  /** The messages completed by `chunk`, in order; an empty one is returned as is (the caller decides). */
  push (chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const messages: Buffer[] = []
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0)
      if (this.pending.length < length + 2) break
      messages.push(this.pending.subarray(2, length + 2))
      this.pending = this.pending.subarray(length + 2)
    }
    return messages
  }
}
