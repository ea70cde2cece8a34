// The watermark bench's images, made offline from real photographs: the Debian packages
// mate-backgrounds, plasma-workspace-wallpapers and ukui-wallpapers (/usr/share/backgrounds,
// /usr/share/wallpapers) and the shared corpus (/work/shared/corpus, i.e. ../shared/corpus). Each bench
// image is a different region of a source (random crop of 45-100% of each side, a random mirror),
// scaled to a random size; a seeded generator makes the same sets on every run.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const sharp = require('sharp')

export const SOURCE_DIRS = ['/usr/share/backgrounds', '/usr/share/wallpapers']

function walk(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    const st = statSync(p)
    if (st.isDirectory()) walk(p, out)
    else if (/\.(jpe?g|png)$/i.test(name) && st.size > 60_000) out.push(p)
  }
  return out
}

/**
 * Source pictures with their sizes, one per picture (largest size kept): `photo` marks the photographs
 * (JPEG, at least 1200×1000, not MATE's abstract/desktop artwork) used for the marked set; the
 * unmarked set uses every picture, drawn artwork included.
 */
export async function sources(root) {
  const files = [...SOURCE_DIRS.flatMap((d) => walk(d)), ...walk(join(root, '../shared/corpus'))]
  const byPicture = new Map()
  for (const file of files) {
    try {
      const m = await sharp(file).metadata()
      if (m.width < 1000 || m.height < 700) continue
      // One entry per picture: the wallpaper packages ship several sizes of the same one.
      const key = /\/wallpapers\/([^/]+)\//.exec(file)?.[1] ?? file.replace(/^.*\//, '').replace(/[_-]?\d+x\d+/, '').replace(/\.\w+$/, '')
      const photo = /\.jpe?g$/i.test(file) && !/\/(abstract|desktop)\//.test(file) && m.width >= 1200 && m.height >= 1000
      const prev = byPicture.get(key)
      if (!prev || m.width * m.height > prev.width * prev.height) byPicture.set(key, { file, width: m.width, height: m.height, photo })
    } catch {}
  }
  return [...byPicture.values()]
}

/** mulberry32 */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * One bench image as raw RGB: a crop of `src` (fractions of each side in [minFrac, 1]), mirrored at
 * random, scaled so its shorter side is in [shortMin, shortMax] (the longer side capped at 2048).
 */
export async function makeImage(src, random, { minFrac = 0.45, shortMin = 1000, shortMax = 1400 } = {}) {
  const fw = minFrac + (1 - minFrac) * random()
  const fh = minFrac + (1 - minFrac) * random()
  const width = Math.max(64, Math.round(src.width * fw))
  const height = Math.max(64, Math.round(src.height * fh))
  const left = Math.floor((src.width - width) * random())
  const top = Math.floor((src.height - height) * random())
  const short = Math.round(shortMin + (shortMax - shortMin) * random())
  let scale = short / Math.min(width, height)
  if (Math.max(width, height) * scale > 2048) scale = 2048 / Math.max(width, height)
  let p = sharp(src.file, { limitInputPixels: false }).extract({ left, top, width, height })
  if (random() < 0.5) p = p.flop()
  const { data, info } = await p.resize(Math.round(width * scale), Math.round(height * scale)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, name: `${src.file.split('/').slice(-3).join('/')}@${left},${top},${width}x${height}` }
}
