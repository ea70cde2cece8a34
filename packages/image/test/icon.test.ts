// The icon before the notice text: Tanba's three drawings after the EU's optional icons, and a file
// the user supplies (the Commission's official icon, which cannot be downloaded here).
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { stampWith, type StampOptions } from '@tanba/core'
import { imageFormat } from '../src/index.js'
import { render, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const png = imageFormat('png')!
const base: StampOptions = { signer: creds.signer, system: { name: 'Icon Tests' }, owner: { name: 'Tanba Tests LLP' }, c2pa: false, notice: { languages: ['en'] } }
const grey = async () => new Uint8Array(await sharp({ create: { width: 640, height: 400, channels: 3, background: '#808080' } }).png().toBuffer())

/** The decoded RGB of the plate's top-left area, where the icon sits (the notice is top-left by default). */
async function iconArea(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).extract({ left: 0, top: 0, width: 120, height: 80 }).removeAlpha().raw().toBuffer()
}
const differs = (a: Buffer, b: Buffer) => a.reduce((n, v, i) => n + (Math.abs(v - b[i]!) > 40 ? 1 : 0), 0)

describe('the notice icon', () => {
  it('basic, generated and modified are drawn, differ from each other and from no icon; auto follows the origin', async () => {
    const input = await grey()
    const areas: Record<string, Buffer> = {}
    for (const icon of [false, 'basic', 'generated', 'modified'] as const) {
      const { bytes } = await stampWith(adapter, input, png, { ...base, adapterOptions: { image: { icon, watermark: false } } })
      areas[String(icon)] = await iconArea(bytes)
      await render(`icon-${icon}`, bytes)
    }
    const names = Object.keys(areas)
    for (const a of names) for (const b of names) if (a < b) expect(differs(areas[a]!, areas[b]!), `${a} vs ${b}`).toBeGreaterThan(20)
    const auto = await stampWith(adapter, input, png, { ...base, origin: 'modified', adapterOptions: { image: { icon: 'auto', watermark: false } } })
    expect(differs(await iconArea(auto.bytes), areas.modified!)).toBe(0)
  }, 60_000)

  it('a PNG or SVG of the user\'s own is placed as the icon', async () => {
    const input = await grey()
    const red = new Uint8Array(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toBuffer())
    const blue = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0000ff"/></svg>')
    for (const [name, iconImage, channel] of [
      ['png', red, 0],
      ['svg', blue, 2],
    ] as const) {
      const { bytes } = await stampWith(adapter, input, png, { ...base, adapterOptions: { image: { iconImage, watermark: false } } })
      await render(`icon-file-${name}`, bytes)
      const { data, info } = await sharp(bytes).extract({ left: 0, top: 0, width: 120, height: 80 }).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      // Some pixels of the icon area are the file's pure colour.
      let pure = 0
      for (let i = 0; i < info.width * info.height; i++) if (data[i * 3 + channel]! > 200 && data[i * 3 + ((channel + 1) % 3)]! < 60) pure++
      expect(pure, name).toBeGreaterThan(100)
    }
  }, 60_000)

  it('refuses an icon value or file it cannot use, with a typed error', async () => {
    const input = await grey()
    const bad = (image: Record<string, unknown>) => stampWith(adapter, input, png, { ...base, adapterOptions: { image } })
    await expect(bad({ icon: 'sparkle' })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
    await expect(bad({ iconImage: new TextEncoder().encode('GIF89a not an icon') })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION', message: expect.stringMatching(/PNG or an SVG/) })
    await expect(bad({ iconImage: new Uint8Array(2 * 1024 * 1024) })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
  })
})
