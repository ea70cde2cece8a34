// Checksums used by audio containers. Each table is built once, on first use.
// None of these is the IEEE 802.3 CRC-32 (see ../bytes.ts `crc32` for PNG/ZIP).

function msbTable(poly: number, width: 8 | 16 | 32): Uint32Array {
  const table = new Uint32Array(256)
  const top = 2 ** (width - 1)
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1
  for (let n = 0; n < 256; n++) {
    let c = width === 8 ? n : n * 2 ** (width - 8)
    for (let k = 0; k < 8; k++) {
      c = c >= top ? (c * 2) ^ poly : c * 2
      c = width === 32 ? c >>> 0 : c & mask
    }
    table[n] = c >>> 0
  }
  return table
}

let crc8Table: Uint32Array | undefined
/** CRC-8, polynomial x^8+x^2+x+1 (0x07), init 0, MSB first: the FLAC frame header checksum. */
export function crc8(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  const t = (crc8Table ??= msbTable(0x07, 8))
  let crc = seed & 0xff
  for (let i = start; i < end; i++) crc = t[crc ^ data[i]!]!
  return crc
}

let crc16Table: Uint32Array | undefined
/** CRC-16, polynomial x^16+x^15+x^2+1 (0x8005), init 0, MSB first: the FLAC frame footer checksum. */
export function crc16(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  const t = (crc16Table ??= msbTable(0x8005, 16))
  let crc = seed & 0xffff
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ t[(crc >> 8) ^ data[i]!]!
  return crc
}

let crc16ArcTable: Uint32Array | undefined
/** CRC-16/ARC (0x8005 reflected, i.e. 0xA001, init 0): the LAME/Info tag and music CRCs in MP3 files. */
export function crc16Arc(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  if (!crc16ArcTable) {
    crc16ArcTable = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1
      crc16ArcTable[n] = c
    }
  }
  const t = crc16ArcTable
  let crc = seed & 0xffff
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ t[(crc ^ data[i]!) & 0xff]!
  return crc
}

let oggTable: Uint32Array | undefined
/**
 * The Ogg page checksum: CRC-32 with polynomial 0x04C11DB7, init 0, MSB first, no final XOR,
 * computed over the whole page with the checksum field set to zero (RFC 3533).
 */
export function oggCrc32(data: Uint8Array, start = 0, end = data.length, seed = 0): number {
  const t = (oggTable ??= msbTable(0x04c11db7, 32))
  let crc = seed >>> 0
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ t[((crc >>> 24) ^ data[i]!) & 0xff]!) >>> 0
  return crc >>> 0
}
