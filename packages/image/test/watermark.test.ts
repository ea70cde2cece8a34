// The invisible watermark through the adapter: embedded in the same pass as the visible warning,
// recorded in the label, and found again by verify after other tools (ImageMagick, ffmpeg, ExifTool)
// re-encoded, scaled and stripped the file, then resolved to the signed label through a ledger.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stampWith, verifyWith } from '@tanba/core'
import { detectWatermark } from '@tanba/watermark'
import { createFileLedger } from '@tanba/watermark/node'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { imageFormat } from '../src/index.js'
import { corpus, fixture, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const dir = mkdtempSync(join(tmpdir(), 'tanba-wm-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const jpeg = imageFormat('jpeg')!
const hasTool = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0

/** Runs a command line tool on a file and returns its output file's bytes. */
function tool(cmd: string, args: (input: string, output: string) => string[], bytes: Uint8Array, ext = 'jpg', outExt = ext): Uint8Array {
  const input = join(dir, `in-${Math.random().toString(36).slice(2)}.${ext}`)
  const output = join(dir, `out-${Math.random().toString(36).slice(2)}.${outExt}`)
  writeFileSync(input, bytes)
  const r = spawnSync(cmd, args(input, output), { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
  return new Uint8Array(readFileSync(output))
}

const stampOptions = { signer: creds.signer, system: { name: 'Acme Image Studio', version: '3' }, owner: { name: 'Acme Ltd' }, c2pa: false }

describe('stamping embeds the watermark with the visible warning', async () => {
  const ledgerPath = join(dir, 'ledger.jsonl')
  const ledger = createFileLedger(ledgerPath)
  const input = corpus('third-party-labelled/C.jpg')
  const stamped = await stampWith(adapter, input, jpeg, { ...stampOptions, ledger })

  it('records the method and payload in the signed label and appends the label to the ledger', async () => {
    expect(stamped.label.watermark).toMatchObject({ method: 'tanba.wm.ss/1', detection: 'public' })
    expect(stamped.label.watermark!.payload).toMatch(/^10[0-9a-f]{14}$/)
    const lines = readFileSync(ledgerPath, 'utf8').trim().split('\n')
    expect(JSON.parse(lines.at(-1)!).sig.value).toBe(stamped.label.sig.value)
    const report = await verifyWith(adapter, stamped.bytes, jpeg, { trust: creds.trust })
    expect(report.status).toBe('valid')
    expect(report.watermark).toMatchObject({ found: true, payload: stamped.label.watermark!.payload, bitErrors: 0 })
  })

  it.skipIf(!hasTool('convert') || !hasTool('exiftool'))('ImageMagick quality 50 at half size, then exiftool -all=: only the watermark is left, and the ledger gives the signed label', async () => {
    const degraded = tool('convert', (i, o) => [i, '-resize', '50%', '-quality', '50', o], stamped.bytes)
    const stripped = tool('exiftool', (i, o) => ['-all=', '-o', o, i], degraded)
    const report = await verifyWith(adapter, stripped, jpeg, { trust: creds.trust, ledger: createFileLedger(ledgerPath) })
    expect(report.label).toBeNull()
    expect(report.status).toBe('unlabelled')
    expect(report.aiMarked).toBe(true)
    expect(report.messages.map((m) => m.rule)).toContain('watermark.only')
    expect(report.watermark).toMatchObject({ found: true, payload: stamped.label.watermark!.payload, origin: 'generated' })
    expect(report.markers.find((m) => m.standard === 'watermark')).toMatchObject({ aiMarked: true, valid: true })
    expect(report.ledger).toMatchObject({ found: true, bindingApplies: false, matches: 1 })
    expect(report.ledger!.label!.sig.value).toBe(stamped.label.sig.value)
    expect(report.ledger!.signature).toMatchObject({ valid: true, trusted: true })
    expect(report.ledger!.reason).toMatch(/transformed/)
  })

  it.skipIf(!hasTool('ffmpeg'))('ffmpeg scaling to 1080 px wide (bicubic) keeps it', async () => {
    const scaled = tool('ffmpeg', (i, o) => ['-loglevel', 'error', '-y', '-i', i, '-vf', 'scale=1080:-2:flags=bicubic', '-q:v', '5', o], stamped.bytes)
    const report = await verifyWith(adapter, scaled, jpeg, { trust: creds.trust })
    expect(report.watermark?.found).toBe(true)
    expect(report.watermark?.payload).toBe(stamped.label.watermark!.payload)
  })

  it('a ledger line whose signature was edited is reported, not trusted', async () => {
    const forged = { ...stamped.label, owner: { name: 'Mallory Ltd' } }
    const path = join(dir, 'forged.jsonl')
    writeFileSync(path, `not json\n${JSON.stringify(forged)}\n`)
    const stripped = new Uint8Array(await sharp(stamped.bytes).jpeg({ quality: 80 }).toBuffer())
    const report = await verifyWith(adapter, stripped, jpeg, { trust: creds.trust, ledger: createFileLedger(path) })
    expect(report.ledger).toMatchObject({ found: true })
    expect(report.ledger!.signature!.valid).toBe(false)
    expect(report.ledger!.reason).toMatch(/invalid signature/)
  })
})

describe('watermark options', () => {
  it('watermark: false leaves the pixels unmarked and the label without a watermark', async () => {
    const r = await stampWith(adapter, corpus('third-party-labelled/C.jpg'), jpeg, { ...stampOptions, adapterOptions: { image: { watermark: false } } })
    expect(r.label.watermark).toBeUndefined()
    const report = await verifyWith(adapter, r.bytes, jpeg, { trust: creds.trust })
    expect(report.watermark?.found).toBe(false)
  })

  it('without a visible warning, watermark: true re-encodes and says so', async () => {
    const r = await stampWith(adapter, corpus('third-party-labelled/C.jpg'), jpeg, { ...stampOptions, notice: { visible: false }, adapterOptions: { image: { watermark: true } } })
    expect(r.messages.map((m) => m.rule)).toContain('watermark.reencoded')
    expect(r.label.watermark).toBeDefined()
    const q = new Uint8Array(await sharp(r.bytes).resize(1024).webp({ quality: 60 }).toBuffer())
    const report = await verifyWith(adapter, q, imageFormat('webp')!, { trust: creds.trust })
    expect(report.watermark?.payload).toBe(r.label.watermark!.payload)
  })

  it('without a visible warning and no opt-in, the image is not re-encoded', async () => {
    const r = await stampWith(adapter, corpus('third-party-labelled/C.jpg'), jpeg, { ...stampOptions, notice: { visible: false } })
    expect(r.label.watermark).toBeUndefined()
  })

  it('a keyed mark is found only with the key', async () => {
    const r = await stampWith(adapter, corpus('third-party-labelled/C.jpg'), jpeg, { ...stampOptions, adapterOptions: { image: { watermarkKey: 'acme-private-key-1' } } })
    expect(r.label.watermark?.detection).toBe('key')
    const plain = await verifyWith(adapter, r.bytes, jpeg, { trust: creds.trust })
    expect(plain.watermark?.found).toBe(false)
    expect(plain.messages.map((m) => m.rule)).toContain('watermark.not-found')
    const keyed = await verifyWith(adapter, r.bytes, jpeg, { trust: creds.trust, adapterOptions: { image: { watermarkKeys: ['acme-private-key-1'] } } })
    expect(keyed.watermark).toMatchObject({ found: true, detection: 'key' })
  })

  it('unmarked photographs (third-party files, a small fixture) report no watermark', async () => {
    for (const bytes of [corpus('third-party-labelled/C.jpg'), corpus('media/no_manifest.jpg'), fixture('photo.jpg')]) {
      const report = await verifyWith(adapter, bytes, jpeg, { trust: creds.trust })
      expect(report.watermark?.found ?? false).toBe(false)
      expect(report.markers.some((m) => m.standard === 'watermark')).toBe(false)
    }
    expect((await verifyWith(adapter, fixture('photo.jpg'), jpeg, { trust: creds.trust })).aiMarked).toBe(false)
  })
})

describe('animated images', () => {
  it.skipIf(!hasTool('convert'))('an ImageMagick GIF of three photographs: every frame carries the mark, frame delays are kept', async () => {
    const photo = join(dir, 'photo.jpg')
    writeFileSync(photo, corpus('third-party-labelled/C.jpg'))
    const gifPath = join(dir, 'anim.gif')
    const r = spawnSync('convert', ['-delay', '40', '-loop', '0', '(', photo, '-crop', '720x540+0+0', ')', '(', photo, '-crop', '720x540+600+300', ')', '(', photo, '-crop', '720x540+1200+600', ')', '+repage', gifPath], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const gif = new Uint8Array(readFileSync(gifPath))
    const stamped = await stampWith(adapter, gif, imageFormat('gif')!, stampOptions)
    expect(stamped.label.watermark).toBeDefined()
    const meta = await sharp(stamped.bytes, { animated: true }).metadata()
    expect(meta.pages).toBe(3)
    expect(meta.delay).toEqual([400, 400, 400])
    const { data, info } = await sharp(stamped.bytes, { animated: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    for (let f = 0; f < 3; f++) {
      const frame = { data: new Uint8Array(data.subarray(f * 720 * 540 * 3, (f + 1) * 720 * 540 * 3)), width: info.width, height: 540, channels: 3 as const }
      expect(detectWatermark(frame).payloadHex, `frame ${f}`).toBe(stamped.label.watermark!.payload)
    }
  })
})

describe('the watermark pass keeps the alpha channel exactly when the original has one', async () => {
  const png = imageFormat('png')!
  const photo = await sharp(corpus('third-party-labelled/C.jpg')).resize(800).toBuffer()
  // An RGB PNG stays RGB; an RGBA PNG with a transparent band keeps it transparent.
  const rgb = new Uint8Array(await sharp(photo).png().toBuffer())
  const { data, info } = await sharp(photo).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  for (let y = 0; y < 40; y++) for (let x = 0; x < info.width; x++) data[(y * info.width + x) * 4 + 3] = 0
  const rgba = new Uint8Array(await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer())

  it.each([
    ['RGB', rgb, false],
    ['RGBA', rgba, true],
  ] as const)('%s PNG', async (_, input, alpha) => {
    const stamped = await stampWith(adapter, input, png, stampOptions)
    expect(stamped.label.watermark).toMatchObject({ method: 'tanba.wm.ss/1' })
    const meta = await sharp(stamped.bytes).metadata()
    expect(meta.hasAlpha).toBe(alpha)
    if (alpha) {
      const out = await sharp(stamped.bytes).raw().toBuffer({ resolveWithObject: true })
      expect(out.data[3]).toBe(0)
      expect(out.data[(100 * out.info.width + 5) * 4 + 3]).toBe(255)
    }
    const grey = await sharp(stamped.bytes).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true })
    expect(detectWatermark({ data: grey.data, width: grey.info.width, height: grey.info.height, channels: 1 }).payloadHex).toBe(stamped.label.watermark!.payload)
  })
})
