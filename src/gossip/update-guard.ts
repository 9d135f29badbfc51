// Untrusted Yjs V2 updates are walked within a budget before Y.applyUpdateV2 sees them.
//
// Why: V2 stores most struct fields in run-length-encoded columns, and a run's length
// is a varint the sender picks. A 24-byte update can announce 10^8 GC structs whose
// info and length columns repeat forever without consuming a byte; Yjs then loops
// 10^8 times (measured: 10^6 structs in 24 bytes took 0.9 s and 140 MB to apply,
// 10^7 took 10.6 s and 1.3 GB, 10^8 did not finish in 60 s). This is yjs issue #687,
// still open. Every other field either consumes input bytes (and lib0 throws at the
// end of the input) or is read once per struct, so counting structs (and the values
// and delete ranges read in loops) bounds the work by the input size.
//
// How: the same reads Yjs' readClientsStructRefs and readAndApplyDeleteSet make, on
// Yjs' own column decoders, without building structs. The walk refuses an update
// that decodes to more elements than UPDATE_ELEMENTS_PER_BYTE × bytes +
// UPDATE_ELEMENT_SLACK (or MAX_UPDATE_ELEMENTS), a delete set naming a client twice
// (each repeat makes Yjs walk that client's structs again), content kinds Yjs would
// throw on, and trailing bytes. A refused update is never applied, so nothing of it
// reaches the document.
//
// Cost (this machine, Node 24, warm): a 154-byte update (one service record) ~30 µs,
// against ~0.5 ms to apply it; a 1 MiB state (100 records of 8 KiB random env) ~0.4 ms,
// against ~4 ms; the 100k-overwrite history ~9 ms; the 24-byte bomb is refused after
// 4304 elements in ~0.3 ms. Cheaper and deterministic, unlike applying to a scratch
// document in a worker with a time limit, whose verdict would depend on load (a
// starved node would disconnect honest peers). What the walk does not bound is Yjs'
// integration of well-formed structs, superlinear for many concurrent inserts at one
// position (16k of them in 250 KB took 0.24 s): MAX_UPDATE_ELEMENTS and the per-peer
// rate limit bound that.

import * as Y from 'yjs'
import { PeerFault } from './fault.ts'
import { MAX_UPDATE_BYTES, MAX_UPDATE_ELEMENTS, UPDATE_ELEMENTS_PER_BYTE, UPDATE_ELEMENT_SLACK } from './constants.ts'

export interface UpdateLimits {
  maxBytes: number
  maxElements: number
  elementsPerByte: number
  elementSlack: number
}

export const UPDATE_LIMITS: UpdateLimits = {
  maxBytes: MAX_UPDATE_BYTES,
  maxElements: MAX_UPDATE_ELEMENTS,
  elementsPerByte: UPDATE_ELEMENTS_PER_BYTE,
  elementSlack: UPDATE_ELEMENT_SLACK
}

type Decoder = InstanceType<typeof Y.UpdateDecoderV2>
type Rest = Decoder['restDecoder']

const BIT6 = 32
const BIT7 = 64
const BIT8 = 128
const CONTENT = 31
const SKIP = 10
const XML_ELEMENT = 3
const XML_HOOK = 5
const LAST_TYPE_REF = 6

/**
 * Checks a V2 update against the limits without applying it; returns how many
 * elements (structs, values, delete ranges) it decodes to. Throws a PeerFault
 * ('oversize' or 'malformed').
 */
export function inspectUpdate (update: Uint8Array, limits: UpdateLimits = UPDATE_LIMITS): number {
  if (update.byteLength > limits.maxBytes) {
    throw new PeerFault('oversize', `an update of ${update.byteLength} bytes, over the limit of ${limits.maxBytes}`)
  }
  // Yjs reads column lengths as views on the underlying buffer: a copy of its own
  // keeps an overlong column from reading a neighbour's bytes.
  const bytes = update.byteOffset === 0 && update.byteLength === update.buffer.byteLength ? update : update.slice()
  const budget = Math.min(limits.maxElements, limits.elementsPerByte * bytes.byteLength + limits.elementSlack)
  const walk = { elements: 0, budget }
  try {
    // lib0's Decoder is exactly { arr, pos }; yjs does not export it.
    const decoder = new Y.UpdateDecoderV2({ arr: bytes, pos: 0 } as unknown as ConstructorParameters<typeof Y.UpdateDecoderV2>[0])
    readStructs(decoder, walk)
    readDeleteSet(decoder, walk)
    if (decoder.restDecoder.pos !== bytes.byteLength) throw new Error('trailing bytes after the delete set')
  } catch (err) {
    if (err instanceof PeerFault) throw err
    throw new PeerFault('malformed', `a malformed update: ${(err as Error).message}`)
  }
  return walk.elements
}

interface Walk { elements: number, budget: number }

function spend (walk: Walk, n = 1): void {
  walk.elements += n
  if (walk.elements > walk.budget) {
    throw new PeerFault('malformed', `an update that decodes to more than ${walk.budget} elements`)
  }
}

// Mirrors yjs' readClientsStructRefs (utils/encoding.js), read for read.
function readStructs (decoder: Decoder, walk: Walk): void {
  const rest = decoder.restDecoder
  const groups = readVarUint(rest)
  for (let g = 0; g < groups; g++) {
    spend(walk)
    const structs = readVarUint(rest)
    decoder.readClient()
    readVarUint(rest) // first clock
    for (let s = 0; s < structs; s++) {
      spend(walk)
      const info = decoder.readInfo() as number | undefined
      if (info === undefined) throw new Error('the info column ended')
      if (info === SKIP) {
        readVarUint(rest)
      } else if ((info & CONTENT) !== 0) {
        readItem(decoder, info, walk)
      } else {
        decoder.readLen() // GC
      }
    }
  }
}

function readItem (decoder: Decoder, info: number, walk: Walk): void {
  const cantCopyParentInfo = (info & (BIT7 | BIT8)) === 0
  if ((info & BIT8) !== 0) decoder.readLeftID()
  if ((info & BIT7) !== 0) decoder.readRightID()
  if (cantCopyParentInfo) {
    if (decoder.readParentInfo()) decoder.readString()
    else decoder.readLeftID()
    if ((info & BIT6) !== 0) decoder.readString()
  }
  readContent(decoder, info & CONTENT, walk)
}

// Mirrors yjs' contentRefs (structs/Item.js): 1 deleted, 2 JSON, 3 binary, 4 string,
// 5 embed, 6 format, 7 type, 8 any, 9 doc; anything else makes Yjs throw.
function readContent (decoder: Decoder, ref: number, walk: Walk): void {
  switch (ref) {
    case 1: decoder.readLen(); return
    case 2: {
      const len = decoder.readLen()
      for (let i = 0; i < len; i++) {
        spend(walk)
        const json = decoder.readString()
        if (json !== 'undefined') JSON.parse(json)
      }
      return
    }
    case 3: decoder.readBuf(); return
    case 4: decoder.readString(); return
    case 5: decoder.readJSON(); return
    case 6: decoder.readKey(); decoder.readJSON(); return
    case 7: {
      const type = decoder.readTypeRef()
      if (!(type >= 0 && type <= LAST_TYPE_REF)) throw new Error(`unknown type ref ${type}`)
      if (type === XML_ELEMENT || type === XML_HOOK) decoder.readKey()
      return
    }
    case 8: {
      const len = decoder.readLen()
      for (let i = 0; i < len; i++) {
        spend(walk)
        decoder.readAny()
      }
      return
    }
    case 9: decoder.readString(); decoder.readAny(); return
    default: throw new Error(`unknown content ref ${ref}`)
  }
}

// Mirrors yjs' readAndApplyDeleteSet (utils/DeleteSet.js).
function readDeleteSet (decoder: Decoder, walk: Walk): void {
  const rest = decoder.restDecoder
  const clients = readVarUint(rest)
  const seen = new Set<number>()
  for (let c = 0; c < clients; c++) {
    spend(walk)
    decoder.resetDsCurVal()
    const client = readVarUint(rest)
    if (seen.has(client)) throw new Error(`the delete set names client ${client} twice`)
    seen.add(client)
    const deletes = readVarUint(rest)
    for (let d = 0; d < deletes; d++) {
      spend(walk)
      decoder.readDsClock()
      decoder.readDsLen()
    }
  }
}

// lib0's readVarUint, which yjs does not export: throws at the end of the input.
function readVarUint (rest: Rest): number {
  let value = 0
  let scale = 1
  while (rest.pos < rest.arr.length) {
    const byte = rest.arr[rest.pos++] as number
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 128
    if (value > Number.MAX_SAFE_INTEGER) throw new Error('a varint out of range')
  }
  throw new Error('unexpected end of the update')
}
