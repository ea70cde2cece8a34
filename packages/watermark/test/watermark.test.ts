import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { describe, expect, it } from 'vitest'
import { convEncode, viterbiDecode } from '../src/code.js'
import { CODED_BITS, detectWatermark, embedWatermark, infoBits, parseInfoBits, watermarkIdFor, type PixelImage, type WatermarkPayload } from '../src/index.js'

const CORPUS = join(import.meta.dirname, '../../../../shared/corpus')
const payload: WatermarkPayload = { version: 1, origin: 'generated', id: watermarkIdFor('0190a5b0-1111-7000-8000-00000000abcd') }

async function raw(input: Buffer | Uint8Array): Promise<PixelImage> {
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 }
}
const encode = (img: PixelImage) => sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: img.channels } })

describe('channel code', () => {
  it('the Viterbi decoder corrects scattered errors and the CRC rejects a changed word', () => {
    const bits = infoBits(payload)
    const coded = convEncode(bits)
    expect(coded.length).toBe(CODED_BITS)
    const soft = Float64Array.from(coded, (c) => (c ? 1 : -1))
    for (let k = 3; k < soft.length; k += 17) soft[k] = -soft[k]! // 12 hard errors, spread out
    const decoded = viterbiDecode(soft, bits.length)
    expect(parseInfoBits(decoded)).toEqual(payload)
    decoded[40]! ^= 1
    expect(parseInfoBits(decoded)).toBeNull()
  })
})

describe('embed and detect on a real photograph', async () => {
  const photo = readFileSync(join(CORPUS, 'third-party-labelled/C.jpg'))
  const base = await raw(await sharp(photo).resize(1600).toBuffer())
  const marked = { ...base, data: base.data.slice() }
  const result = embedWatermark(marked, payload)
  const markedPng = await encode(marked).png().toBuffer()

  it('changes the picture by about 2 levels RMS (PSNR above 40 dB)', () => {
    let sq = 0
    for (let i = 0; i < base.data.length; i++) sq += (base.data[i]! - marked.data[i]!) ** 2
    const psnr = 10 * Math.log10((255 * 255) / (sq / base.data.length))
    expect(psnr).toBeGreaterThan(40)
    expect(result.payload).toMatch(/^10[0-9a-f]{14}$/)
  })

  it('is not found in the unmarked photograph', async () => {
    const d = detectWatermark(base)
    expect(d.found).toBe(false)
    expect(d.falsePositiveBound).toBeLessThanOrEqual(1e-9)
  })

  it.each([
    ['JPEG quality 50', (s: Sharp) => s.jpeg({ quality: 50 })],
    ['half size', (s: Sharp) => s.resize(800).jpeg({ quality: 85 })],
    ['crop 20% left and top', (s: Sharp) => s.extract({ left: 320, top: 213, width: 1280, height: 853 }).png()],
    ['brightness +20%', (s: Sharp) => s.linear(1.2, 0).jpeg({ quality: 85 })],
  ])('survives %s', async (_name, attack) => {
    const d = detectWatermark(await raw(await attack(sharp(markedPng)).toBuffer()))
    expect(d.found).toBe(true)
    expect(d.payload).toEqual(payload)
    expect(d.pattern).toBe('public')
  })

  it('a keyed mark is found with its key only', async () => {
    const keyed = { ...base, data: base.data.slice() }
    embedWatermark(keyed, payload, { key: 'org-secret-key-1' })
    const jpeg = await raw(await encode(keyed).jpeg({ quality: 70 }).toBuffer())
    expect(detectWatermark(jpeg).found).toBe(false)
    expect(detectWatermark(jpeg, { keys: ['another-key-22'] }).found).toBe(false)
    const d = detectWatermark(jpeg, { keys: ['org-secret-key-1'] })
    expect(d.found).toBe(true)
    expect(d.pattern).toBe('key')
  })

  it('marks every frame of a stack of frames', async () => {
    const frames: PixelImage = { data: new Uint8Array(base.width * 600 * 2 * 3), width: base.width, height: 1200, channels: 3 }
    frames.data.set(base.data.subarray(0, base.width * 1200 * 3))
    embedWatermark(frames, payload, { pageHeight: 600 })
    const second: PixelImage = { ...frames, data: frames.data.slice(base.width * 600 * 3), height: 600 }
    expect(detectWatermark(second).payload).toEqual(payload)
  })
})
