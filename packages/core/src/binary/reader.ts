import { MalformedInputError } from '../errors.js'

/**
 * A bounds-checked cursor over bytes. Every read past the end throws MalformedInputError
 * naming what was being read, so parsers of hostile input fail with a clear, typed error.
 */
export class ByteReader {
  readonly bytes: Uint8Array
  readonly view: DataView
  offset: number

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
  }

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.bytes.length) {
      throw new MalformedInputError(`Unexpected end of data reading ${what}: needed ${n} bytes at offset ${this.offset}, ${Math.max(0, this.remaining)} left`)
    }
  }

  u8(what = 'a byte'): number {
    this.need(1, what)
    return this.bytes[this.offset++]!
  }

  u16be(what = 'a 16-bit integer'): number {
    this.need(2, what)
    const v = this.view.getUint16(this.offset)
    this.offset += 2
    return v
  }

  u16le(what = 'a 16-bit integer'): number {
    this.need(2, what)
    const v = this.view.getUint16(this.offset, true)
    this.offset += 2
    return v
  }

  u32be(what = 'a 32-bit integer'): number {
    this.need(4, what)
    const v = this.view.getUint32(this.offset)
    this.offset += 4
    return v
  }

  u32le(what = 'a 32-bit integer'): number {
    this.need(4, what)
    const v = this.view.getUint32(this.offset, true)
    this.offset += 4
    return v
  }

  take(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what)
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  ascii(n: number, what = 'a tag'): string {
    return String.fromCharCode(...this.take(n, what))
  }
}

export function writeU32be(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value >>> 0)
  return out
}

export function writeU32le(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value >>> 0, true)
  return out
}

export function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)
}
