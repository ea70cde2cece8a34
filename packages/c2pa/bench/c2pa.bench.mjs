// C2PA cost per image: signing a 12-megapixel JPEG through @tanba/c2pa (worker process, IPC, addon)
// against a plain read + write copy of the same bytes, measured in the same run.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { createPemSigner, generateSigningCredentials } from '@tanba/core'
import { close, readC2pa, signC2pa } from '../dist/index.js'
import { interleaved, median, row } from '../../../scripts/bench-lib.mjs'

export default async function run(ctx) {
  const dir = join(ctx.tmp, 'c2pa')
  await mkdir(dir, { recursive: true })
  const source = join(dir, 'photo-12mp.jpg')
  // Noise keeps the encoded size realistic for a photo (a flat image would compress to almost nothing).
  const jpeg = await sharp({ create: { width: 4000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 85 })
    .toBuffer()
  await writeFile(source, jpeg)
  const creds = await generateSigningCredentials({ commonName: 'Tanba bench' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const mb = (jpeg.length / 1024 ** 2).toFixed(1)

  const signed = new Uint8Array(await signC2pa(new Uint8Array(jpeg), 'image/jpeg', { signer, title: 'photo-12mp.jpg' }))
  // Every operation and the copy run interleaved, round by round (median and spread per row).
  const t = await interleaved({
    copy: async () => {
      await writeFile(join(dir, 'copy.jpg'), await readFile(source))
    },
    sign: async () => {
      const bytes = new Uint8Array(await readFile(source))
      await writeFile(join(dir, 'signed.jpg'), await signC2pa(bytes, 'image/jpeg', { signer, title: 'photo-12mp.jpg' }))
    },
    thumb: async () => {
      const bytes = new Uint8Array(await readFile(source))
      await writeFile(join(dir, 'signed-thumb.jpg'), await signC2pa(bytes, 'image/jpeg', { signer, thumbnail: true }))
    },
    read: async () => {
      const summary = await readC2pa(signed, 'image/jpeg', { trustAnchors: creds.caCertificatePem })
      if (!summary?.trusted) throw new Error('bench: the signed JPEG did not validate as trusted')
    },
  })
  const pairs = (op) => op.map((ms, i) => ({ ms, baselineMs: t.copy[i] }))
  const copyMs = median(t.copy)
  const signMs = median(t.sign)
  const thumbMs = median(t.thumb)
  const readMs = median(t.read)
  await close()

  const abs = (ms) => `${ms.toFixed(0)} ms`
  return [
    row({
      operation: 'C2PA sign, 12 MP JPEG',
      baseline: 'plain read+write copy',
      roundTimes: pairs(t.sign),
      note: `${abs(signMs)} per image (${mb} MB) vs copy ${abs(copyMs)}; C2PA cost ≈ ${abs(signMs - copyMs)}`,
    }),
    row({
      operation: 'C2PA sign + thumbnail, 12 MP JPEG',
      baseline: 'plain read+write copy',
      roundTimes: pairs(t.thumb),
      note: `${abs(thumbMs)} per image with the addon's claim thumbnail (off by default)`,
    }),
    row({
      operation: 'C2PA read + validate, 12 MP JPEG',
      baseline: 'plain read+write copy',
      roundTimes: pairs(t.read),
      note: `${abs(readMs)} per image, trusted chain`,
    }),
  ]
}
