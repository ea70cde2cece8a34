import { MalformedInputError } from '@tanba/core'

/** MSB-first bit reader over a byte range, bounds-checked (hostile input ends in MalformedInputError). */
export class BitReader {
  pos: number
  readonly end: number
  constructor(
    readonly b: Uint8Array,
    start: number,
    end = b.length,
  ) {
    this.pos = start * 8
    this.end = end * 8
  }

  private fail(n: number): never {
    throw new MalformedInputError(`FLAC frame is cut off: needed ${n} more bits at byte ${this.pos >> 3}`)
  }

  /** Reads n ≤ 32 bits as an unsigned number. */
  read(n: number): number {
    if (n === 0) return 0
    if (this.pos + n > this.end) this.fail(n)
    let v = 0
    let pos = this.pos
    while (n > 0) {
      const byte = this.b[pos >> 3]!
      const avail = 8 - (pos & 7)
      const take = avail < n ? avail : n
      v = v * (1 << take) + ((byte >> (avail - take)) & ((1 << take) - 1))
      pos += take
      n -= take
    }
    this.pos = pos
    return v
  }

  readSigned(n: number): number {
    if (n === 0) return 0
    const v = this.read(n)
    return v >= 2 ** (n - 1) ? v - 2 ** n : v
  }

  /** Counts 0 bits up to and including the next 1 bit; returns the count of zeros. */
  readUnary(): number {
    let zeros = 0
    let pos = this.pos
    const b = this.b
    for (;;) {
      if (pos >= this.end) this.fail(1)
      if ((pos & 7) === 0) {
        while (pos + 8 <= this.end && b[pos >> 3] === 0) {
          zeros += 8
          pos += 8
        }
        if (pos >= this.end) this.fail(1)
      }
      const bit = (b[pos >> 3]! >> (7 - (pos & 7))) & 1
      pos++
      if (bit) break
      zeros++
    }
    this.pos = pos
    return zeros
  }

  readRice(k: number): number {
    const q = this.readUnary()
    const u = q * (1 << k) + this.read(k)
    return u % 2 ? -(u + 1) / 2 : u / 2
  }

  alignByte(): void {
    this.pos = (this.pos + 7) & ~7
  }

  get bytePos(): number {
    return this.pos >> 3
  }
}

/** MSB-first bit writer that grows as needed. */
export class BitWriter {
  private buf = new Uint8Array(4096)
  private bit = 0

  private ensure(bits: number): void {
    const need = ((this.bit + bits + 7) >> 3) + 8
    if (need <= this.buf.length) return
    const next = new Uint8Array(Math.max(need, this.buf.length * 2))
    next.set(this.buf)
    this.buf = next
  }

  /** Writes the low n ≤ 32 bits of v (unsigned or two's complement). */
  write(n: number, v: number): void {
    if (n === 0) return
    this.ensure(n)
    let value = n === 32 ? v >>> 0 : (v & (2 ** n - 1)) >>> 0
    if (n < 32 && v < 0) value = (v + 2 ** n) >>> 0
    while (n > 0) {
      const avail = 8 - (this.bit & 7)
      const take = avail < n ? avail : n
      const chunk = Math.floor(value / 2 ** (n - take)) & ((1 << take) - 1)
      this.buf[this.bit >> 3]! |= chunk << (avail - take)
      this.bit += take
      n -= take
    }
  }

  writeUnary(zeros: number): void {
    this.ensure(zeros + 1)
    this.bit += zeros
    this.write(1, 1)
  }

  writeRice(k: number, v: number): void {
    const u = v >= 0 ? v * 2 : -v * 2 - 1
    this.writeUnary(Math.floor(u / (1 << k)))
    this.write(k, u % (1 << k))
  }

  alignByte(): void {
    this.bit = (this.bit + 7) & ~7
  }

  get bits(): number {
    return this.bit
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, (this.bit + 7) >> 3)
  }
}
