import { fromUtf8, MalformedInputError, TooLargeError, utf8, type Limits } from '@tanba/core'

/** Text from a metadata payload: UTF-8, trailing NULs and whitespace removed. */
export function payloadText(bytes: Uint8Array): string {
  let end = bytes.length
  while (end > 0 && bytes[end - 1] === 0) end--
  return fromUtf8(bytes.subarray(0, end)).trim()
}

export { utf8 }

export function checkInputSize(bytes: Uint8Array, limits: Limits): void {
  if (bytes.length > limits.maxInputBytes) {
    throw new TooLargeError(`The input is ${bytes.length} bytes; the limit is ${limits.maxInputBytes} (limits.maxInputBytes)`, { details: { limit: 'maxInputBytes' } })
  }
}

export function checkMetadataSize(size: number, what: string, limits: Limits): void {
  if (size > limits.maxMetadataBytes) {
    throw new TooLargeError(`${what} is ${size} bytes; the limit is ${limits.maxMetadataBytes} (limits.maxMetadataBytes)`, { details: { limit: 'maxMetadataBytes' } })
  }
}

export { joinBytes } from '@tanba/core'

export function malformed(message: string, details?: Record<string, unknown>): MalformedInputError {
  return new MalformedInputError(message, details ? { details } : undefined)
}

export const fourcc = (b: Uint8Array, o: number): string => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!)

/** Said by every refusal of the audible notice: the machine-readable carriers can still be written (their errors carry details.option 'notice.visible', which the CLI shows as --no-visible). */
export const NO_NOTICE_HINT = 'Stamp with notice: { visible: false } to write only the machine-readable carriers.'
