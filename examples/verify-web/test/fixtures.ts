// Sample files for the page's tests, stamped with the real SDK: labelled files of every kind,
// unlabelled ones, files marked only by other tools, and tampered copies.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { reduceForSearch } from '@tanba/image/browser'
import { detectWatermark } from '@tanba/watermark'
import { createPemSigner, generateSigningCredentials, stamp, verify, type SdkStampOptions } from 'tanba'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const FIXTURES = join(REPO, 'fixtures')
/** The shared corpus sits beside the repository (read-only); tests skip what is missing. */
export const CORPUS = join(REPO, '..', 'shared', 'corpus')

/** What a file should show: the Tanba status, and whether any standard marks it as AI-made. */
export interface Expected {
  file: string
  status: 'valid' | 'invalid' | 'unlabelled' | 'error'
  aiMarked: boolean
  /** The browser cannot look for the Tanba label (PDF). */
  labelChecked?: boolean
  c2pa?: boolean
  /** Only the invisible watermark marks it (the page finds it with its canvas decoder). */
  watermark?: boolean
}

export interface FixtureSet {
  dir: string
  caPem: string
  chainPem: string
  expected: Expected[]
}

/** Writes the sample files into `dir` (created) and returns what each should verify as. */
export async function makeFixtures(dir: string, options: { c2pa?: boolean } = {}): Promise<FixtureSet> {
  await mkdir(dir, { recursive: true })
  const creds = await generateSigningCredentials({ organization: 'Tanba Example Newsroom', country: 'KZ', commonName: 'Tanba Example Signer' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const base: Omit<SdkStampOptions, 'filename'> = {
    signer,
    system: { name: 'Example Studio', version: '2', model: 'example-diffusion' },
    owner: { name: 'Example Media LLP', id: '123456789012', country: 'KZ' },
    profiles: ['kz'],
    c2pa: options.c2pa ?? true,
  }
  const read = (p: string) => readFile(join(FIXTURES, p)).then((b) => new Uint8Array(b))
  const put = (name: string, bytes: Uint8Array | string) => writeFile(join(dir, name), bytes)
  const stamped = async (src: string, name: string, extra: Partial<SdkStampOptions> = {}) => {
    const out = await stamp(await read(src), { ...base, ...extra, filename: name })
    await put(name, out.bytes)
    return out.bytes
  }
  const expected: Expected[] = []

  await stamped('image/photo.png', 'photo-labelled.png')
  expected.push({ file: 'photo-labelled.png', status: 'valid', aiMarked: true, c2pa: base.c2pa !== false })
  const jpeg = await stamped('image/photo.jpg', 'photo-labelled.jpg')
  expected.push({ file: 'photo-labelled.jpg', status: 'valid', aiMarked: true, c2pa: base.c2pa !== false })
  // Change one byte of the entropy-coded scan, near the end of the file: one block's pixels change.
  const tampered = jpeg.slice()
  const flip = tampered.length - 40
  tampered[flip] = tampered[flip]! ^ 0x10
  await put('photo-tampered.jpg', tampered)
  expected.push({ file: 'photo-tampered.jpg', status: 'invalid', aiMarked: true })
  // A camera-sized photo, stamped, then re-encoded as a platform would: every metadata marker is
  // gone and only the invisible watermark in the pixels says it is AI-made.
  // The mark survives this for most payloads, not all (docs/watermark.md): a payload this copy
  // loses is stamped again, so the test is about the page agreeing with the SDK, not about luck.
  const camera = join(CORPUS, 'media', 'no_manifest.jpg')
  if (existsSync(camera)) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const labelled = await stamp(new Uint8Array(await readFile(camera)), { ...base, c2pa: false, filename: 'camera.jpg' })
      const stripped = new Uint8Array(await sharp(labelled.bytes).resize({ width: 1800 }).jpeg({ quality: 90 }).toBuffer())
      const full = await sharp(stripped).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
      const pixels = reduceForSearch({ data: full.data, width: full.info.width, height: full.info.height, channels: 4 })
      if (!detectWatermark(pixels).found || !(await verify(stripped, { filename: 'photo-stripped.jpg' })).watermark?.found) continue
      await put('photo-stripped.jpg', stripped)
      expected.push({ file: 'photo-stripped.jpg', status: 'unlabelled', aiMarked: true, watermark: true })
      break
    }
    if (!expected.some((e) => e.file === 'photo-stripped.jpg')) throw new Error('the watermark did not survive a 1800 px q90 re-encode in 5 stamps of no_manifest.jpg')
  }
  await put('photo-plain.png', await read('image/photo.png'))
  expected.push({ file: 'photo-plain.png', status: 'unlabelled', aiMarked: false })
  await put('comfyui.png', await read('image/comfyui.png'))
  expected.push({ file: 'comfyui.png', status: 'unlabelled', aiMarked: true })

  const text = await stamped('text/sample.txt', 'story-labelled.txt')
  expected.push({ file: 'story-labelled.txt', status: 'valid', aiMarked: true })
  const story = new TextDecoder().decode(text)
  const at = story.indexOf('2026')
  await put('story-tampered.txt', at >= 0 ? story.slice(0, at) + '2027' + story.slice(at + 4) : story.replace('.', '!'))
  expected.push({ file: 'story-tampered.txt', status: 'invalid', aiMarked: true })
  await stamped('text/sample.md', 'article-labelled.md')
  expected.push({ file: 'article-labelled.md', status: 'valid', aiMarked: true })
  await stamped('text/sample.html', 'page-labelled.html')
  expected.push({ file: 'page-labelled.html', status: 'valid', aiMarked: true })
  await put('notes-plain.txt', 'A plain note written by a person.\n')
  expected.push({ file: 'notes-plain.txt', status: 'unlabelled', aiMarked: false })

  await stamped('audio/programme.wav', 'voice-labelled.wav')
  expected.push({ file: 'voice-labelled.wav', status: 'valid', aiMarked: true })
  await stamped('audio/programme.mp3', 'voice-labelled.mp3')
  expected.push({ file: 'voice-labelled.mp3', status: 'valid', aiMarked: true })

  await stamped('pdf/rotated.pdf', 'report-labelled.pdf')
  expected.push({ file: 'report-labelled.pdf', status: 'unlabelled', aiMarked: false, labelChecked: false })

  // Another tool's C2PA manifest (the C2PA conformance sample), when the shared corpus is there.
  const thirdParty = join(CORPUS, 'third-party-labelled', 'CA.jpg')
  if (existsSync(thirdParty)) {
    await copyFile(thirdParty, join(dir, 'third-party-c2pa.jpg'))
    expected.push({ file: 'third-party-c2pa.jpg', status: 'unlabelled', aiMarked: false, c2pa: true })
  }

  await put('ca.pem', creds.caCertificatePem)
  return { dir, caPem: creds.caCertificatePem, chainPem: creds.chainPem, expected }
}
