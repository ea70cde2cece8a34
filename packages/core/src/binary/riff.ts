import { MalformedInputError, TooLargeError } from '../errors.js'
import { DEFAULT_LIMITS } from '../limits.js'

/** One chunk of a RIFF file (WAV, WebP, AVI): where its header and payload sit. */
export interface RiffChunk {
  /** Four-character id, e.g. "fmt ", "data", "LIST". */
  id: string
  /** Offset of the 8-byte chunk header. */
  offset: number
  /** Offset of the payload (offset + 8). */
  dataOffset: number
  /** Declared payload size (without the pad byte). */
  size: number
  /** Offset just past the payload and its pad byte (never past the end of the container). */
  end: number
  /** For LIST chunks: the list type ("INFO", "adtl", ...) and its sub-chunks, when walked. */
  listType?: string
  children?: RiffChunk[]
}

export interface RiffForm {
  /** "RIFF" (little-endian sizes) or "RIFX" (big-endian). */
  magic: 'RIFF' | 'RIFX'
  /** The form type, e.g. "WAVE", "WEBP", "AVI ". */
  formType: string
  /** Size declared in the RIFF header (payload after the 8-byte header). */
  declaredSize: number
  /** End of the chunks actually walked: min(declared end, file length). */
  end: number
  chunks: RiffChunk[]
  /** The declared RIFF size did not match the bytes present (a common defect, reported, not fatal). */
  sizeMismatch: boolean
}

export interface RiffWalkOptions {
  maxDepth?: number
  maxChunks?: number
  /** Descend into LIST chunks (bounded by maxDepth). Default true. */
  lists?: boolean
}

const fourcc = (b: Uint8Array, o: number): string => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)

/**
 * Walks a RIFF container. A chunk that declares more bytes than remain is a MalformedInputError;
 * nesting deeper than maxDepth and more than maxChunks chunks are TooLargeErrors.
 */
export function walkRiff(bytes: Uint8Array, options: RiffWalkOptions = {}): RiffForm {
  if (bytes.length < 12) throw new MalformedInputError(`Expected a RIFF header of 12 bytes but the input has ${bytes.length}`)
  const magic = fourcc(bytes, 0)
  if (magic !== 'RIFF' && magic !== 'RIFX') throw new MalformedInputError(`Expected "RIFF" at offset 0 but found ${JSON.stringify(magic)}`)
  const le = magic === 'RIFF'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const declaredSize = view.getUint32(4, le)
  const end = Math.min(bytes.length, 8 + declaredSize)
  const maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth
  const maxChunks = options.maxChunks ?? DEFAULT_LIMITS.maxChunks
  const lists = options.lists ?? true
  let count = 0

  const walk = (start: number, stop: number, depth: number): RiffChunk[] => {
    if (depth > maxDepth) throw new TooLargeError(`RIFF LIST chunks are nested more than ${maxDepth} deep (limits.maxDepth)`, { details: { limit: 'maxDepth', value: maxDepth } })
    const out: RiffChunk[] = []
    let o = start
    while (o + 8 <= stop) {
      if (++count > maxChunks) throw new TooLargeError(`The RIFF file has more than ${maxChunks} chunks (limits.maxChunks)`, { details: { limit: 'maxChunks', value: maxChunks } })
      const id = fourcc(bytes, o)
      const size = view.getUint32(o + 4, le)
      const dataOffset = o + 8
      if (dataOffset + size > stop) {
        throw new MalformedInputError(`RIFF chunk ${JSON.stringify(id)} at offset ${o} declares ${size} bytes but only ${stop - dataOffset} remain`, { details: { chunk: id, offset: o } })
      }
      const chunkEnd = Math.min(stop, dataOffset + size + (size & 1))
      const chunk: RiffChunk = { id, offset: o, dataOffset, size, end: chunkEnd }
      if (id === 'LIST' && size >= 4) {
        chunk.listType = fourcc(bytes, dataOffset)
        if (lists) chunk.children = walk(dataOffset + 4, dataOffset + size, depth + 1)
      }
      out.push(chunk)
      o = chunkEnd
    }
    // Fewer than 8 trailing bytes: junk or a missing pad byte; tolerated and left to the caller.
    return out
  }

  const formType = fourcc(bytes, 8)
  const chunks = walk(12, end, 1)
  return { magic, formType, declaredSize, end, chunks, sizeMismatch: 8 + declaredSize !== bytes.length }
}

/** Serialises one little-endian RIFF chunk (header, payload, pad byte). */
export function riffChunk(id: string, payload: Uint8Array): Uint8Array {
  if (id.length !== 4) throw new RangeError(`A RIFF chunk id has 4 characters, got ${JSON.stringify(id)}`)
  const out = new Uint8Array(8 + payload.length + (payload.length & 1))
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i) & 0xff
  new DataView(out.buffer).setUint32(4, payload.length, true)
  out.set(payload, 8)
  return out
}
