import { constants, deflateSync, inflateSync } from 'node:zlib'
import { MalformedInputError, TooLargeError, UnsupportedFormatError } from '@tanba/core'
import { decodePDFRawStream, PDFArray, PDFContext, PDFDict, PDFName, PDFNumber, PDFRawStream, type PDFObject } from 'pdf-lib'

const scratch = PDFContext.create()

export interface DecodeOptions {
  /** Largest decoded size accepted, in bytes. */
  maxBytes: number
  /** Resolves indirect filter parameters. */
  resolve: (obj: PDFObject | undefined) => PDFObject | undefined
}

/**
 * Decodes a stream's data through its /Filter chain (Flate with PNG/TIFF predictors,
 * LZW, ASCII85, ASCIIHex, RunLength). Image codecs (DCT, JPX, JBIG2, CCITT) are not
 * decoded: Tanba never needs their pixels.
 */
export function decodeStreamData(stream: PDFRawStream, contents: Uint8Array, options: DecodeOptions): Uint8Array {
  const filterObj = options.resolve(stream.dict.get(PDFName.of('Filter')))
  const parmsObj = options.resolve(stream.dict.get(PDFName.of('DecodeParms')))
  const filters: PDFName[] = []
  const parms: (PDFDict | undefined)[] = []
  if (filterObj instanceof PDFName) {
    filters.push(filterObj)
    parms.push(parmsObj instanceof PDFDict ? parmsObj : undefined)
  } else if (filterObj instanceof PDFArray) {
    for (let i = 0; i < filterObj.size(); i++) {
      const f = options.resolve(filterObj.get(i))
      if (!(f instanceof PDFName)) throw new MalformedInputError('Expected filter names in a stream /Filter array')
      filters.push(f)
      const p = parmsObj instanceof PDFArray ? options.resolve(parmsObj.get(i)) : undefined
      parms.push(p instanceof PDFDict ? p : undefined)
    }
  }
  let data = contents
  for (let i = 0; i < filters.length; i++) {
    const name = filters[i]!.asString()
    const p = parms[i]
    if (name === '/FlateDecode' || name === '/Fl') data = applyPredictor(inflate(data, options.maxBytes), p, options)
    else if (name === '/LZWDecode' || name === '/LZW') data = applyPredictor(viaPdfLib(data, 'LZWDecode', p, options.maxBytes), p, options)
    else if (name === '/ASCII85Decode' || name === '/A85') data = viaPdfLib(data, 'ASCII85Decode', undefined, options.maxBytes)
    else if (name === '/ASCIIHexDecode' || name === '/AHx') data = viaPdfLib(data, 'ASCIIHexDecode', undefined, options.maxBytes)
    else if (name === '/RunLengthDecode' || name === '/RL') data = viaPdfLib(data, 'RunLengthDecode', undefined, options.maxBytes)
    else if (name === '/Crypt') continue // handled by the security handler before decoding
    else throw new UnsupportedFormatError(`Cannot decode a PDF stream with filter ${name}`)
  }
  return data
}

export function inflate(data: Uint8Array, maxBytes: number): Uint8Array {
  if (data.length === 0) return data
  try {
    // Z_SYNC_FLUSH tolerates streams without a proper end, which many PDF writers produce.
    return new Uint8Array(inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, maxBytes) }))
  } catch (cause) {
    const code = (cause as { code?: string }).code
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new TooLargeError(`A PDF stream inflates to more than ${maxBytes} bytes`, { cause })
    throw new MalformedInputError(`A Flate-compressed PDF stream does not inflate: ${(cause as Error).message}`, { cause })
  }
}

export function deflate(data: Uint8Array): Uint8Array {
  return new Uint8Array(deflateSync(data, { level: 6 }))
}

function viaPdfLib(data: Uint8Array, filter: string, parms: PDFDict | undefined, maxBytes: number): Uint8Array {
  const map = new Map<PDFName, PDFObject>([[PDFName.of('Filter'), PDFName.of(filter)]])
  if (parms) map.set(PDFName.of('DecodeParms'), parms)
  const dict = PDFDict.fromMapWithContext(map, scratch)
  try {
    const out = decodePDFRawStream(PDFRawStream.of(dict, data)).decode()
    if (out.length > maxBytes) throw new TooLargeError(`A PDF stream decodes to more than ${maxBytes} bytes`)
    return out
  } catch (cause) {
    if (cause instanceof TooLargeError) throw cause
    throw new MalformedInputError(`A ${filter} PDF stream does not decode: ${(cause as Error).message}`, { cause })
  }
}

function num(dict: PDFDict | undefined, key: string, fallback: number, options: DecodeOptions): number {
  const v = options.resolve(dict?.get(PDFName.of(key)))
  return v instanceof PDFNumber ? v.asNumber() : fallback
}

/** Undoes PNG (10-15) and TIFF (2) predictors, as xref and object streams often use them. */
function applyPredictor(data: Uint8Array, parms: PDFDict | undefined, options: DecodeOptions): Uint8Array {
  const predictor = num(parms, 'Predictor', 1, options)
  if (predictor <= 1) return data
  const colors = num(parms, 'Colors', 1, options)
  const bpc = num(parms, 'BitsPerComponent', 8, options)
  const columns = num(parms, 'Columns', 1, options)
  if (![1, 2, 4, 8, 16].includes(bpc) || colors < 1 || colors > 32 || columns < 1 || columns > 1 << 24) {
    throw new MalformedInputError(`Unsupported predictor parameters (Colors ${colors}, BitsPerComponent ${bpc}, Columns ${columns})`)
  }
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8))
  const rowLength = Math.ceil((colors * bpc * columns) / 8)
  if (predictor === 2) {
    if (bpc !== 8) throw new UnsupportedFormatError('TIFF predictor with other than 8 bits per component is not supported')
    const out = data.slice()
    for (let row = 0; row + rowLength <= out.length; row += rowLength) {
      for (let i = bpp; i < rowLength; i++) out[row + i] = (out[row + i]! + out[row + i - bpp]!) & 0xff
    }
    return out
  }
  const rows = Math.floor(data.length / (rowLength + 1))
  const out = new Uint8Array(rows * rowLength)
  let prev = new Uint8Array(rowLength)
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)]!
    const src = data.subarray(r * (rowLength + 1) + 1, (r + 1) * (rowLength + 1))
    const cur = out.subarray(r * rowLength, (r + 1) * rowLength)
    for (let i = 0; i < rowLength; i++) {
      const left = i >= bpp ? cur[i - bpp]! : 0
      const up = prev[i]!
      const upLeft = i >= bpp ? prev[i - bpp]! : 0
      let v = src[i]!
      switch (type) {
        case 0: break
        case 1: v += left; break
        case 2: v += up; break
        case 3: v += (left + up) >> 1; break
        case 4: {
          const p = left + up - upLeft
          const pa = Math.abs(p - left)
          const pb = Math.abs(p - up)
          const pc = Math.abs(p - upLeft)
          v += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft
          break
        }
        default:
          throw new MalformedInputError(`Unknown PNG predictor row type ${type} in a PDF stream`)
      }
      cur[i] = v & 0xff
    }
    prev = cur
  }
  return out
}
