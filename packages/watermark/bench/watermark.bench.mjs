// Watermark bench (run: pnpm build, then `node scripts/bench.mjs watermark`; TANBA_WM_IMAGES and
// TANBA_WM_UNMARKED shrink the sets for a quick look). Over >= 200 marked images and a separate set
// of >= 1,000 unmarked ones made from real photographs (see corpus.mjs and docs/watermark.md):
// - invisibility: PSNR and SSIM of the marked image against the same image unmarked, both JPEG q90;
// - per attack: exact payload recovery (after error correction) and payload bit accuracy, beside
//   the anchors' published figures; attacks by sharp (libvips), ImageMagick, ffmpeg and ExifTool;
// - false detections on the unmarked set, and the calibration check of the 2^-39 model;
// - cost: embedding inside the full visible stamp of a 12 MP JPEG, and detection of a 12 MP image.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { measurePair, row, verdict } from '../../../scripts/bench-lib.mjs'
import { detectWatermark, embedWatermark, infoBits, watermarkIdFor } from '../dist/index.js'
import { makeImage, rng, SOURCE_DIRS, sources } from './corpus.mjs'

const require = createRequire(import.meta.url)
const sharp = require('sharp')
const core = await import('@tanba/core')

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0

export default async function run({ root, tmp }) {
  const N = Number(process.env.TANBA_WM_IMAGES ?? 200)
  const U = Number(process.env.TANBA_WM_UNMARKED ?? 1000)
  const dir = join(tmp, 'watermark')
  mkdirSync(dir, { recursive: true })
  const all = await sources(root)
  const photos = all.filter((s) => s.photo)
  if (!photos.length) {
    // Skip the image rows cleanly (the cost rows need only the shared corpus).
    process.stderr.write(`  watermark bench: robustness and false-detection rows skipped: no photographs under ${SOURCE_DIRS.join(', ')} (install the Debian packages mate-backgrounds plasma-workspace-wallpapers ukui-wallpapers)\n`)
    return costRows(root, dir)
  }
  // Say which pictures the sets are cut from (the list also goes into watermark.json).
  process.stderr.write(`  watermark bench: ${photos.length} photographs for the marked set, ${all.length} pictures for the unmarked set; list in ${join(tmp, 'watermark.json')}\n`)
  const tool = (cmd, args, bytes, ext = 'jpg', outExt = ext) => {
    const input = join(dir, `in.${ext}`)
    const output = join(dir, `out.${outExt}`)
    rmSync(output, { force: true })
    writeFileSync(input, bytes)
    const r = spawnSync(cmd, args(input, output), { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`)
    return readFileSync(output)
  }
  const crop = (b, w, h, r) => {
    // Remove 10-20% of each side's length, split at random between its two edges.
    const cw = Math.round(w * (0.1 + 0.1 * r())), ch = Math.round(h * (0.1 + 0.1 * r()))
    const left = Math.round(cw * r()), top = Math.round(ch * r())
    return sharp(b).extract({ left, top, width: w - cw, height: h - ch })
  }
  const q92 = (p) => p.jpeg({ quality: 92 }).toBuffer()
  const ATTACKS = [
    { id: 'none', name: 'none (PNG as embedded)', anchor: '', run: async (b) => b },
    { id: 'jpeg50', name: 'JPEG q50 (sharp)', anchor: 'TrustMark Q: bit acc. >96% on its JPEG attacks; DWT-DCT: survives JPEG (README)', run: (b) => sharp(b).jpeg({ quality: 50 }).toBuffer() },
    { id: 'jpeg50-im', name: 'JPEG q50 (ImageMagick)', tool: 'convert', run: (b) => tool('convert', (i, o) => [i, '-quality', '50', o], b, 'png', 'jpg') },
    { id: 'webp60', name: 'WebP q60 (sharp)', run: (b) => sharp(b).webp({ quality: 60 }).toBuffer() },
    { id: 'half', name: 'resize 50% (sharp lanczos3)', anchor: 'DWT-DCT: fails 50% resize (README)', run: (b, w) => q92(sharp(b).resize(Math.round(w / 2))) },
    { id: 'half-ff', name: 'resize 50% (ffmpeg bicubic)', tool: 'ffmpeg', run: (b) => tool('ffmpeg', (i, o) => ['-loglevel', 'error', '-y', '-i', i, '-vf', 'scale=trunc(iw/4)*2:-2:flags=bicubic', o], b, 'png', 'png') },
    { id: 'quarter', name: 'resize 25% (sharp)', run: (b, w) => q92(sharp(b).resize(Math.round(w / 4))) },
    { id: '1080', name: 'resize to 1080 px long side (ImageMagick)', tool: 'convert', run: (b) => tool('convert', (i, o) => [i, '-resize', '1080x1080', '-quality', '90', o], b, 'png', 'jpg') },
    { id: 'crop20', name: 'crop 10-20% of each side', anchor: 'TrustMark: survives about 20% crop; DWT-DCT: fails cropping (README)', run: (b, w, h, r) => crop(b, w, h, r).png().toBuffer() },
    { id: 'pngjpeg', name: 'PNG -> JPEG q85 -> PNG', run: async (b) => sharp(await sharp(b).jpeg({ quality: 85 }).toBuffer()).png().toBuffer() },
    { id: 'bright+', name: 'brightness +20%', run: (b) => q92(sharp(b).linear(1.2, 0)) },
    { id: 'bright-', name: 'brightness -20%', run: (b) => q92(sharp(b).linear(0.8, 0)) },
    { id: 'contrast+', name: 'contrast +20%', run: (b) => q92(sharp(b).linear(1.2, -25.6)) },
    { id: 'contrast-', name: 'contrast -20%', run: (b) => q92(sharp(b).linear(0.8, 25.6)) },
    { id: 'strip', name: 'JPEG q92, exiftool -all=', tool: 'exiftool', run: async (b) => tool('exiftool', (i, o) => ['-all=', '-o', o, i], await q92(sharp(b).withMetadata())) },
    { id: 'crop+jpeg', name: 'two: crop 10-20% then JPEG q50', two: true, run: async (b, w, h, r) => sharp(await crop(b, w, h, r).png().toBuffer()).jpeg({ quality: 50 }).toBuffer() },
    { id: 'half+webp', name: 'two: resize 50% then WebP q60', two: true, run: (b, w) => sharp(b).resize(Math.round(w / 2)).webp({ quality: 60 }).toBuffer() },
    { id: 'done-when', name: 'three: ImageMagick half + q50, exiftool -all=', two: true, tool: 'convert', run: (b) => tool('exiftool', (i, o) => ['-all=', '-o', o, i], tool('convert', (i, o) => [i, '-resize', '50%', '-quality', '50', o], b, 'png', 'jpg')) },
  ].filter((a) => !a.tool || has(a.tool))
  const stats = Object.fromEntries(ATTACKS.map((a) => [a.id, { ok: 0, n: 0, bitAcc: 0, ms: 0 }]))
  const psnrs = []
  const misses = []
  const ssims = []
  const random = rng(20261202)
  for (let i = 0; i < N; i++) {
    const img = await makeImage(photos[i % photos.length], random)
    const orig = { ...img, data: img.data.slice() }
    const payload = { version: 1, origin: i % 3 ? 'generated' : 'modified', id: watermarkIdFor(`bench-${i}`) }
    const expected = infoBits(payload)
    const result = embedWatermark(img, payload)
    const rawOf = (x) => sharp(Buffer.from(x.data), { raw: { width: x.width, height: x.height, channels: 3 } })
    const [a, b] = await Promise.all([rawOf(orig).jpeg({ quality: 90 }).toBuffer(), rawOf(img).jpeg({ quality: 90 }).toBuffer()])
    const [da, db] = await Promise.all([sharp(a).raw().toBuffer(), sharp(b).raw().toBuffer()])
    psnrs.push(psnr(da, db))
    ssims.push(ssim(da, db, img.width, img.height))
    const png = await rawOf(img).png({ compressionLevel: 1 }).toBuffer()
    for (const attack of ATTACKS) {
      const attacked = await attack.run(png, img.width, img.height, random)
      const t0 = performance.now()
      const d = detectWatermark(await lumaForDetection(attacked), { trace: true })
      stats[attack.id].ms += performance.now() - t0
      const s = stats[attack.id]
      s.n++
      if (d.found && d.payloadHex === result.payload) s.ok++
      else misses.push({ image: img.name, attack: attack.id, syncScore: Math.round(d.syncScore * 10) / 10 })
      const w = d.words?.[0]
      let right = 0
      for (let k = 0; k < 64; k++) if (w && w[k] === expected[k]) right++
      s.bitAcc += d.found && d.payloadHex === result.payload ? 1 : right / 64
    }
    if (i % 20 === 19) process.stderr.write(`  watermark bench: ${i + 1}/${N} marked images\n`)
  }
  // Unmarked set: other regions, other sizes, every picture (photographs and drawn wallpapers).
  const urand = rng(777)
  let falseDetections = 0
  let words = 0
  let crcByte = 0
  let version = 0
  const syncScores = []
  for (let i = 0; i < U; i++) {
    const src = all[Math.floor(urand() * all.length)]
    const img = await makeImage(src, urand, { minFrac: 0.3, shortMin: 400, shortMax: 1600 })
    const q = Math.round(60 + 35 * urand())
    const bytes = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: q }).toBuffer()
    const d = detectWatermark(await lumaForDetection(bytes), { trace: true })
    if (d.found) falseDetections++
    syncScores.push(d.syncScore)
    for (const w of d.words ?? []) {
      words++
      const bytes8 = new Uint8Array(8)
      for (let k = 0; k < 64; k++) bytes8[k >> 3] |= w[k] << (7 - (k & 7))
      const crc = core.crc32(bytes8)
      let top = 0
      for (let k = 64; k < 72; k++) top = (top << 1) | w[k]
      if (top === crc >>> 24) crcByte++
      if ((bytes8[0] >> 4) === 1) version++
    }
    if (i % 100 === 99) process.stderr.write(`  watermark bench: ${i + 1}/${U} unmarked images\n`)
  }
  syncScores.sort((x, y) => x - y)

  const rows = []
  const summary = { images: N, unmarked: U, sources: { photographs: photos.length, all: all.length, files: all.map((s) => ({ file: s.file, width: s.width, height: s.height, marked: s.photo })) }, attacks: [], misses, invisibility: {}, unmarkedSet: {} }
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length
  const minOf = (xs) => Math.min(...xs)
  summary.invisibility = { psnrMean: mean(psnrs), psnrMin: minOf(psnrs), ssimMean: mean(ssims), ssimMin: minOf(ssims), psnrAtLeast40: psnrs.filter((p) => p >= 40).length / N, ssimAtLeast098: ssims.filter((s) => s >= 0.98).length / N }
  rows.push({ operation: `watermark: PSNR, ${N} images (JPEG q90 both)`, baseline: '40 dB', ms: undefined, baselineMs: undefined, ratio: summary.invisibility.psnrMin / 40, target: '>= 1x (min)', pass: summary.invisibility.psnrMin >= 40, note: `mean ${summary.invisibility.psnrMean.toFixed(1)} dB, min ${summary.invisibility.psnrMin.toFixed(1)} dB` })
  rows.push({ operation: `watermark: SSIM, ${N} images (JPEG q90 both)`, baseline: '0.98', ms: undefined, baselineMs: undefined, ratio: summary.invisibility.ssimMin / 0.98, target: '>= 1x (min)', pass: summary.invisibility.ssimMin >= 0.98, note: `mean ${summary.invisibility.ssimMean.toFixed(4)}, min ${summary.invisibility.ssimMin.toFixed(4)}` })
  for (const a of ATTACKS) {
    const s = stats[a.id]
    const rate = s.ok / s.n
    const bar = a.id === 'quarter' || a.two ? 0.8 : 0.95
    summary.attacks.push({ id: a.id, name: a.name, recovered: rate, bitAccuracy: s.bitAcc / s.n, detectMs: s.ms / s.n, bar, anchor: a.anchor ?? '' })
    rows.push({ operation: `watermark: ${a.name}`, baseline: `${bar * 100}% of ${s.n}`, ms: s.ms / s.n, baselineMs: undefined, ratio: rate / bar, target: '>= 1x', pass: rate >= bar, note: `payload exact ${(rate * 100).toFixed(1)}%, bit acc. ${((s.bitAcc / s.n) * 100).toFixed(1)}%${a.anchor ? `; ${a.anchor}` : ''}` })
  }
  summary.unmarkedSet = { falseDetections, words, crcTopByteMatches: crcByte, crcTopByteExpected: words / 256, versionMatches: version, versionExpected: words / 16, syncScoreMedian: syncScores[syncScores.length >> 1], syncScoreMax: syncScores.at(-1) }
  rows.push({ operation: `watermark: false detections, ${U} unmarked images`, baseline: '0', ms: undefined, baselineMs: undefined, ratio: falseDetections, target: '0', pass: falseDetections === 0, note: `calibration: CRC top byte matched ${crcByte} of ${words} decoded words (model: ${(words / 256).toFixed(1)}); version nibble ${version} (model ${(words / 16).toFixed(1)})` })
  rows.push(...(await costRows(root, dir)))
  writeFileSync(join(tmp, 'watermark.json'), JSON.stringify(summary, null, 2))
  return rows
}

/** The adapter's detection input: shrink-on-load to 512 pixels on the shorter side, greyscale. */
async function lumaForDetection(bytes) {
  const m = await sharp(bytes).metadata()
  const portrait = m.height > m.width
  const { data, info } = await sharp(bytes).resize({ ...(portrait ? { width: 512 } : { height: 512 }), fit: 'outside', withoutEnlargement: true }).greyscale().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height, channels: 1 }
}

function psnr(a, b) {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2
  return 10 * Math.log10((255 * 255) / (s / a.length || 1e-12))
}

/** SSIM (Wang et al. 2004) on BT.601 luma, 8×8 windows every 4 pixels, C1 = (0.01·255)², C2 = (0.03·255)². */
function ssim(a, b, w, h) {
  const la = new Float32Array(w * h)
  const lb = new Float32Array(w * h)
  for (let k = 0, p = 0; k < w * h; k++, p += 3) {
    la[k] = 0.299 * a[p] + 0.587 * a[p + 1] + 0.114 * a[p + 2]
    lb[k] = 0.299 * b[p] + 0.587 * b[p + 1] + 0.114 * b[p + 2]
  }
  const C1 = (0.01 * 255) ** 2
  const C2 = (0.03 * 255) ** 2
  let total = 0
  let n = 0
  for (let y = 0; y + 8 <= h; y += 4) {
    for (let x = 0; x + 8 <= w; x += 4) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0
      for (let j = 0; j < 8; j++) {
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * w + x + i
          const u = la[k], v = lb[k]
          sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v
        }
      }
      const ma = sa / 64, mb = sb / 64
      const va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))
      n++
    }
  }
  return total / n
}

/** Embedding inside the full visible stamp of a 12 MP JPEG, and detection of a 12 MP image. */
async function costRows(root, dir) {
  const rows = []
  const image = await import('../../image/dist/index.js')
  const adapter = image.createImageAdapter()
  const format = image.imageFormat('jpeg')
  const photo = join(root, '../shared/corpus/third-party-labelled/C.jpg')
  const jpeg = new Uint8Array(await sharp(photo).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer())
  const creds = await core.generateSigningCredentials({ commonName: 'Bench signer', organization: 'Tanba bench' })
  const signer = await core.createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const options = (watermark) => ({ signer, system: { name: 'Bench' }, owner: { name: 'Bench Ltd' }, c2pa: false, adapterOptions: { image: { watermark } } })
  const { roundTimes } = await measurePair(() => core.stampWith(adapter, jpeg, format, options(undefined)), () => core.stampWith(adapter, jpeg, format, options(false)), { rounds: 5 })
  rows.push(row({ operation: 'watermark: full visible stamp + mark, 12 MP JPEG', baseline: 'same stamp, watermark off', roundTimes, target: { max: 1.3 } }))
  // Detection of a 12 MP image: the adapter's path (shrink-on-load decode + detector) and the detector
  // alone on the full 12 MP RGBA array, each against decoding the JPEG to pixels.
  const stamped = (await core.stampWith(adapter, jpeg, format, options(undefined))).bytes
  const rgba = await sharp(stamped).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const full = { data: rgba.data, width: rgba.info.width, height: rgba.info.height, channels: 4 }
  const decode = () => sharp(stamped).raw().toBuffer()
  const p1 = await measurePair(async () => { const d = detectWatermark(await lumaForDetection(stamped)); if (!d.found) throw new Error('bench: mark not found') }, decode, { rounds: 7 })
  rows.push({ ...row({ operation: 'watermark: detect in a 12 MP JPEG (decode + detect)', baseline: 'sharp full decode of it', ...p1 }), target: '< 150 ms', pass: p1.ms < 150, verdict: verdict(p1.roundTimes.map((t) => t.ms), { max: 150 }) })
  const p2 = await measurePair(async () => { if (!detectWatermark(full).found) throw new Error('bench: mark not found') }, decode, { rounds: 7 })
  rows.push({ ...row({ operation: 'watermark: detect on 12 MP RGBA pixels (detector only)', baseline: 'sharp full decode of it', ...p2 }), target: '< 150 ms', pass: p2.ms < 150, verdict: verdict(p2.roundTimes.map((t) => t.ms), { max: 150 }) })
  await image.closeImageAdapter()
  return rows
}
