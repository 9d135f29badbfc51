// Crafted Yjs V2 updates for the gossip tests: what a rogue member could send.

export const varuint = (n: number): number[] => {
  const out: number[] = []
  while (n > 127) { out.push(128 | (n % 128)); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

/** A V2 column: its length, then its bytes. */
export const column = (bytes: number[]): number[] => [...varuint(bytes.length), ...bytes]

/**
 * 24 bytes announcing `structs` GC structs: the info and length columns repeat their
 * last run forever (yjs issue #687). 10^8 of them make Y.applyUpdateV2 run for minutes.
 */
export function gcBomb (structs: number): Uint8Array {
  return Uint8Array.from([
    0, // feature flag
    ...column([]), // key clocks
    ...column([1]), // clients: 1
    ...column([]), ...column([]), // left and right clocks
    ...column([0]), // info: GC, repeated to the end
    ...column([0, 0]), // strings: none
    ...column([]), ...column([]), // parent info, type refs
    ...column([0x41, ...varuint(structs)]), // lengths: 1, repeated structs + 2 times
    1, ...varuint(structs), 0, // one client group of `structs` structs from clock 0
    0 // an empty delete set
  ])
}
