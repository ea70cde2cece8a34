import { MalformedInputError } from '@tanba/core'

/**
 * Random access to the bytes of a file, so a 2 GB video is read box by box and sample by sample
 * rather than held in memory. The portable form wraps a Uint8Array; the Node entry wraps a file
 * descriptor (`fileSource` in `@tanba/video/node`).
 */
export interface ByteSource {
  readonly size: number
  /** Exactly `length` bytes at `offset` (a view where possible); a range past the end is a MalformedInputError. */
  read(offset: number, length: number): Uint8Array
  /** The whole input when it is already in memory (lets the writer hand back views), else undefined. */
  readonly bytes?: Uint8Array
  /**
   * Hands `visit` the bytes of a range in order, in pieces, each valid only during its call: a file
   * source reuses one buffer, so hashing a 2 GB file allocates nothing per chunk.
   */
  scan?(offset: number, length: number, visit: (piece: Uint8Array) => void): void
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    bytes,
    read(offset, length) {
      checkRange(offset, length, bytes.length)
      return bytes.subarray(offset, offset + length)
    },
  }
}

export function checkRange(offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new MalformedInputError(`Expected ${length} bytes at offset ${offset} but the file has ${size} bytes`, { details: { offset, length, size } })
  }
}
