// Files from the wild (issue 14, images), each made by a tool other than Tanba: libtiff's tiffcp,
// ImageMagick, and hand-written SVG. Valid files Tanba cannot draw into are unsupported (naming the
// feature and notice.visible), never "damaged"; what it stamps keeps every frame and one <metadata>.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { isTanbaError, stampWith, utf8, verifyWith, type StampOptions } from '@tanba/core'
import { sniffImageFormat } from '../src/index.js'
import { fixture, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const hasTool = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
const TOOLS = ['tiffcp', 'convert', 'identify', 'rsvg-convert'].filter((t) => !hasTool(t))
if (TOOLS.length) console.warn(`\n${'!'.repeat(70)}\n!! SKIPPING the files-from-the-wild image tests: missing ${TOOLS.join(', ')} (apt-get install libtiff-tools imagemagick librsvg2-bin)\n${'!'.repeat(70)}\n`)
const run = TOOLS.length ? it.skip : it

const dir = mkdtempSync(join(tmpdir(), 'tanba-wild-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const path = (name: string) => join(dir, name)
const read = (name: string) => new Uint8Array(readFileSync(path(name)))
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString()

const options = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Wild Test' }, owner: { name: 'Tanba Tests' }, c2pa: false, ...extra })

async function stampError(bytes: Uint8Array, extra: Partial<StampOptions> = {}) {
  try {
    await stampWith(adapter, bytes, sniffImageFormat(bytes)!, options(extra))
  } catch (error) {
    if (isTanbaError(error)) return error
    throw error
  }
  throw new Error('expected the stamp to be refused')
}

async function stampsMetadataOnly(bytes: Uint8Array): Promise<void> {
  const format = sniffImageFormat(bytes)!
  const out = (await stampWith(adapter, bytes, format, options({ notice: { visible: false } }))).bytes
  expect((await verifyWith(adapter, out, format, { trust: creds.trust })).status).toBe('valid')
}

describe('TIFFs sharp cannot decode are unsupported, naming the feature', () => {
  const base = () => {
    writeFileSync(path('photo.png'), fixture('photo.png'))
    sh('convert', ['photo.png', '-compress', 'none', 'base.tif'])
  }

  run('BigTIFF (tiffcp -8): UnsupportedFormatError in every mode, and in verify', async () => {
    base()
    sh('tiffcp', ['-8', 'base.tif', 'big.tif'])
    const bytes = read('big.tif')
    expect(sniffImageFormat(bytes)?.id).toBe('tiff')
    for (const extra of [{}, { notice: { visible: false } }]) {
      const error = await stampError(bytes, extra)
      expect(error.code).toBe('TANBA_UNSUPPORTED_FORMAT')
      expect(error.message).toMatch(/BigTIFF/)
      expect(error.details).toMatchObject({ feature: 'bigtiff' })
    }
    const report = await verifyWith(adapter, bytes, sniffImageFormat(bytes)!, { trust: creds.trust })
    expect(report.error?.code).toBe('TANBA_UNSUPPORTED_FORMAT')
  })

  const cases: { name: string; make: () => void; feature: string; what: RegExp }[] = [
    { name: 'ZSTD compression (tiffcp -c zstd)', make: () => sh('tiffcp', ['-c', 'zstd', 'base.tif', 'x.tif']), feature: 'compression', what: /ZSTD/ },
    {
      name: 'old-style JPEG compression (tiffcp -c jpeg, compression tag set to 6)',
      make: () => {
        sh('tiffcp', ['-c', 'jpeg', '-r', '16', 'base.tif', 'x.tif'])
        const b = read('x.tif')
        const v = new DataView(b.buffer, b.byteOffset)
        const le = b[0] === 0x49
        const ifd = v.getUint32(4, le)
        for (let k = 0; k < v.getUint16(ifd, le); k++) {
          const e = ifd + 2 + k * 12
          if (v.getUint16(e, le) === 259) v.setUint16(e + 8, 6, le)
        }
        writeFileSync(path('x.tif'), b)
      },
      feature: 'compression',
      what: /old-style JPEG/,
    },
    ...[2, 4, 6, 10, 12, 14].map((bits) => ({ name: `${bits}-bit RGB samples (ImageMagick -depth ${bits})`, make: () => sh('convert', ['photo.png', '-depth', String(bits), '-compress', 'none', 'x.tif']), feature: 'bits-per-sample', what: new RegExp(`${bits}/${bits}/${bits}-bit`) })),
    {
      name: 'pages of different sizes (tiffcp of two files)',
      make: () => {
        sh('convert', ['photo.png', '-resize', '50%', '-compress', 'none', 'half.tif'])
        sh('tiffcp', ['base.tif', 'half.tif', 'x.tif'])
      },
      feature: 'page-sizes',
      what: /pages of different sizes/,
    },
  ]
  for (const c of cases) {
    run(`${c.name}: the warning is refused as unsupported naming notice.visible; the metadata-only stamp works`, async () => {
      base()
      c.make()
      const bytes = read('x.tif')
      // sharp really cannot draw into it (except mixed page sizes, which it would flatten into one strip).
      if (c.feature !== 'page-sizes') await expect(sharp(bytes).raw().toBuffer()).rejects.toThrow()
      const error = await stampError(bytes)
      expect(error.code).toBe('TANBA_UNSUPPORTED_FORMAT')
      expect(error.message).toMatch(c.what)
      expect(error.message).toContain('notice: { visible: false }')
      expect(error.details).toMatchObject({ feature: c.feature, option: 'notice.visible' })
      await stampsMetadataOnly(bytes)
    })
  }
})

describe('images too small for a readable warning', () => {
  for (const [size, ext] of [['16x16', 'png'], ['12x12', 'jpg'], ['8x8', 'gif'], ['1x300', 'png'], ['300x1', 'jpg'], ['1x1', 'webp']] as const) {
    run(`${size} ${ext.toUpperCase()} (ImageMagick): says too small and names notice.visible; metadata-only works`, async () => {
      sh('convert', ['-size', size, 'xc:#3366cc', `tiny.${ext}`])
      const bytes = read(`tiny.${ext}`)
      const error = await stampError(bytes)
      expect(error.code).toBe('TANBA_UNSUPPORTED_FORMAT')
      expect(error.message).toMatch(/too small for a readable warning/)
      expect(error.message).toContain('notice: { visible: false }')
      expect(error.details).toMatchObject({ option: 'notice.visible', reason: 'too-small-for-notice' })
      await stampsMetadataOnly(bytes)
    })
  }
})

describe('animated GIFs keep every frame and its delay', () => {
  run('ImageMagick GIF with identical consecutive frames (convert -delay ... -loop 0)', async () => {
    for (const [name, colour] of [['r', 'red'], ['b', 'blue'], ['g', 'green']]) sh('convert', ['-size', '160x120', `xc:${colour}`, `${name}.png`])
    sh('convert', ['-delay', '10', '-loop', '0', 'r.png', 'r.png', 'b.png', '-delay', '25', 'b.png', 'b.png', 'g.png', '-delay', '10', 'r.png', 'anim.gif'])
    const frames = (file: string) => sh('identify', ['-format', '%T,', file]).split(',').filter(Boolean).map(Number)
    const before = frames('anim.gif')
    expect(before).toEqual([10, 10, 10, 25, 25, 25, 10])
    const out = (await stampWith(adapter, read('anim.gif'), sniffImageFormat(read('anim.gif'))!, options())).bytes
    writeFileSync(path('out.gif'), out)
    expect(frames('out.gif')).toEqual(before)
    const meta = await sharp(out, { animated: true }).metadata()
    expect(meta.pages).toBe(7)
    expect(meta.loop).toBe(0)
    expect((await verifyWith(adapter, out, sniffImageFormat(out)!, { trust: creds.trust })).status).toBe('valid')
  })
})

describe('SVG with an existing empty <metadata>', () => {
  for (const [name, meta] of [['empty', '<metadata></metadata>'], ['self-closing', '<metadata/>'], ['Inkscape-style RDF', '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""/></rdf:RDF></metadata>']] as const) {
    run(`${name}: one <metadata>, and Tanba's C2PA manifest validates`, async () => {
      const svg = utf8(`<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">${meta}<rect width="400" height="200" fill="#2a6"/></svg>`)
      const format = sniffImageFormat(svg)!
      const result = await stampWith(adapter, svg, format, options({ c2pa: true }))
      const text = new TextDecoder().decode(result.bytes)
      expect(text.match(/<metadata[\s>/]/g)).toHaveLength(1)
      expect(result.carriers).toContain('c2pa')
      const report = await verifyWith(adapter, result.bytes, format, { trust: creds.trust })
      expect(report.status).toBe('valid')
      const c2pa = report.markers.find((m) => m.standard === 'c2pa')
      expect(c2pa?.valid, JSON.stringify(report.messages)).toBe(true)
      expect(JSON.stringify(report)).not.toMatch(/dataHash\.mismatch/)
      writeFileSync(path('m.svg'), result.bytes)
      expect(sh('rsvg-convert', ['-w', '100', 'm.svg']).length).toBeGreaterThan(100)
    }, 120_000)
  }
})
