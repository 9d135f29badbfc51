// Docker's multiplexed log stream, for tests: one frame of stdout (1) or stderr (2).

export function frame (stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text)
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(payload.byteLength, 4)
  return Buffer.concat([header, payload])
}
