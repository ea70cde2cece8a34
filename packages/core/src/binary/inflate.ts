// zlib (RFC 1950) decompression with an output limit, in any runtime: Node's zlib when the runtime
// offers it without an import (process.getBuiltinModule), else fflate fed in small slices so a
// decompression bomb is stopped before it fills memory.
import { Unzlib } from 'fflate'
import { MalformedInputError, TooLargeError } from '../errors.js'
import { joinBytes } from '../bytes.js'
import { nodeBuiltin } from '../runtime.js'

interface NodeZlib {
  inflateSync(data: Uint8Array, options: { maxOutputLength: number }): Uint8Array
}

function nodeZlib(): NodeZlib | undefined {
  const mod = nodeBuiltin<Partial<NodeZlib>>('node:zlib')
  return typeof mod?.inflateSync === 'function' ? (mod as NodeZlib) : undefined
}

/** Input is fed this many bytes at a time; deflate expands at most ~1032:1, so one slice adds ≤ 1 MiB. */
const SLICE = 1024

/**
 * Inflates zlib-wrapped deflate data. Throws TooLargeError when the output would exceed
 * `maxOutputBytes`, MalformedInputError when the data is not valid zlib.
 */
export function inflateZlib(data: Uint8Array, maxOutputBytes: number, options: { native?: boolean } = {}): Uint8Array {
  const zlib = options.native === false ? undefined : nodeZlib()
  if (zlib) {
    try {
      return new Uint8Array(zlib.inflateSync(data, { maxOutputLength: maxOutputBytes }))
    } catch (cause) {
      if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new TooLargeError(`Compressed data inflates beyond ${maxOutputBytes} bytes`, { cause })
      }
      throw new MalformedInputError(`Expected zlib-compressed data but it does not inflate: ${(cause as Error).message}`, { cause })
    }
  }
  const parts: Uint8Array[] = []
  let total = 0
  let ended = false
  const stream = new Unzlib((chunk, final) => {
    total += chunk.length
    if (total > maxOutputBytes) throw new TooLargeError(`Compressed data inflates beyond ${maxOutputBytes} bytes`)
    parts.push(chunk)
    if (final) ended = true
  })
  try {
    if (data.length === 0) stream.push(data, true)
    for (let i = 0; i < data.length; i += SLICE) stream.push(data.subarray(i, i + SLICE), i + SLICE >= data.length)
  } catch (cause) {
    if (cause instanceof TooLargeError) throw cause
    throw new MalformedInputError(`Expected zlib-compressed data but it does not inflate: ${(cause as Error).message}`, { cause })
  }
  if (!ended) throw new MalformedInputError('Expected zlib-compressed data but the stream ends early')
  return joinBytes(parts)
}
