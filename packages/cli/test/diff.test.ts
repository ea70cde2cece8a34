// `tanba diff` through the real command on real pipelines: files stamped by the CLI, then changed
// by ExifTool, ImageMagick and ffmpeg, and the fate of each mark asserted.
import { beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureBuilt, ROOT, tanba, tempDir } from './helpers.js'

const work = tempDir('tanba-cli-diff-')
const configDir = join(work, 'config')
const has = (tool: string, arg: string) => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0
const hasExiftool = has('exiftool', '-ver')
const hasConvert = has('convert', '-version')
const hasFfmpeg = has('ffmpeg', '-version')
for (const [tool, ok] of [['exiftool', hasExiftool], ['convert (ImageMagick)', hasConvert], ['ffmpeg', hasFfmpeg]] as const) {
  if (!ok) console.warn(`SKIPPING tanba diff tests that need ${tool}: it is not installed`)
}

interface MarkerDiff {
  fate: string
  standard: string
  carrier: string
  afterCarrier?: string
}
interface Diff {
  markers: MarkerDiff[]
  added: Array<{ standard: string; carrier: string }>
  notice: { fate: string; reason: string }
  profiles: string[]
  requiredLost: Array<{ profile: string; failure: string }>
  beforeStatus: string
  afterStatus: string
}

const run = (args: string[]) => tanba(args, { cwd: work, configDir })

async function diffJson(before: string, after: string): Promise<{ code: number | null; diff: Diff }> {
  const r = await run(['diff', before, after, '--json'])
  expect(r.stderr).toBe('')
  return { code: r.code, diff: (JSON.parse(r.stdout) as { diff: Diff }).diff }
}

const fates = (d: Diff) => d.markers.map((m) => `${m.fate} ${m.standard} ${m.carrier}`)

beforeAll(async () => {
  ensureBuilt()
  mkdirSync(configDir, { recursive: true })
  copyFileSync(join(ROOT, 'fixtures/image/photo.jpg'), join(work, 'photo.jpg'))
  const s = await run(['stamp', 'photo.jpg', '-o', 'stamped.jpg', '-q'])
  expect(s.code, s.stderr).toBe(0)
}, 600_000)

describe('tanba diff on images', () => {
  it('the same file against itself: every marker kept, the notice kept, exit 0', async () => {
    const { code, diff } = await diffJson('stamped.jpg', 'stamped.jpg')
    expect(code).toBe(0)
    expect(diff.markers.length).toBeGreaterThanOrEqual(4)
    expect(diff.markers.every((m) => m.fate === 'kept')).toBe(true)
    expect(diff.added).toEqual([])
    expect(diff.notice.fate).toBe('kept')
    expect(diff.requiredLost).toEqual([])
  })

  it.skipIf(!hasExiftool)('exiftool -all=: every metadata marker lost, the pixel notice kept, exit 2', async () => {
    execFileSync('exiftool', ['-q', '-all=', '-o', join(work, 'stripped.jpg'), join(work, 'stamped.jpg')])
    const { code, diff } = await diffJson('stamped.jpg', 'stripped.jpg')
    expect(code).toBe(2)
    expect(diff.afterStatus).toBe('unlabelled')
    expect(fates(diff)).toEqual(['lost tanba xmp', 'lost iptc xmp', 'lost tc260 xmp', 'lost c2pa jpeg:APP11', 'lost tanba jpeg:APP11:tanba.label'])
    // ExifTool leaves the JPEG scan data alone: the label's binding still matches AFTER's pixels.
    expect(diff.notice.fate).toBe('kept')
    expect(diff.profiles).toEqual(['kz'])
    expect(diff.requiredLost.map((r) => r.failure)).toEqual([expect.stringMatching(/^machine-readable: expected a valid tanba or c2pa or iptc or tc260 marker/)])

    const human = await run(['diff', 'stamped.jpg', 'stripped.jpg'])
    expect(human.code).toBe(2)
    expect(human.stdout).toMatch(/^ {2}lost {6}c2pa {6}jpeg:APP11$/m)
    expect(human.stdout).toMatch(/notice {4}kept/)
    expect(human.stdout).toMatch(/kz: lost machine-readable/)
  })

  it.skipIf(!hasConvert)('a quality-50 re-save with ImageMagick: the Tanba label and C2PA broken, the notice unverified, exit 2', async () => {
    execFileSync('convert', [join(work, 'stamped.jpg'), '-quality', '50', join(work, 'q50.jpg')])
    const { code, diff } = await diffJson('stamped.jpg', 'q50.jpg')
    expect(code).toBe(2)
    expect(diff.afterStatus).toBe('invalid')
    const tanbaFates = diff.markers.filter((m) => m.standard === 'tanba').map((m) => m.fate)
    expect(tanbaFates.length).toBeGreaterThan(0)
    expect(tanbaFates.every((f) => f === 'broken' || f === 'lost')).toBe(true)
    expect(diff.markers.find((m) => m.standard === 'c2pa')?.fate).toMatch(/^(broken|lost)$/)
    // The pixels changed and the label that declared the notice no longer verifies.
    expect(diff.notice.fate).toBe('unverified')
    expect(diff.requiredLost.length).toBeGreaterThan(0)
  })

  it('a profile that is not known is a usage error (exit 3); so is a missing file', async () => {
    const bad = await run(['diff', 'stamped.jpg', 'stamped.jpg', '--profile', 'xx'])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/Expected --profile from kz, uz, cn, eu, in, us-ca but received "xx"/)
    const missing = await run(['diff', 'stamped.jpg', 'absent.jpg'])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(/absent\.jpg/)
  })
})

describe.skipIf(!hasFfmpeg)('tanba diff on an ffmpeg remux of a stamped MP4', () => {
  beforeAll(async () => {
    copyFileSync(join(ROOT, 'fixtures/video/h264-aac.mp4'), join(work, 'clip.mp4'))
    const s = await run(['stamp', 'clip.mp4', '--no-visible', '-o', 'clip.stamped.mp4', '-q'])
    expect(s.code, s.stderr).toBe(0)
  }, 120_000)

  it('with -map_metadata 0 -movflags use_metadata_tags: the label kept (moved into udta), XMP and C2PA lost, exit 0', async () => {
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', join(work, 'clip.stamped.mp4'), '-c', 'copy', '-map_metadata', '0', '-movflags', 'use_metadata_tags', join(work, 'remux-meta.mp4')])
    const { code, diff } = await diffJson('clip.stamped.mp4', 'remux-meta.mp4')
    expect(code).toBe(0)
    expect(diff.afterStatus).toBe('valid')
    const label = diff.markers.find((m) => m.standard === 'tanba' && m.carrier === 'mp4:meta:mdta:TANBA')
    expect(label).toMatchObject({ fate: 'kept', afterCarrier: 'mp4:udta:meta:mdta:TANBA' })
    expect(diff.markers.find((m) => m.standard === 'c2pa')?.fate).toBe('lost')
    expect(diff.markers.find((m) => m.carrier === 'xmp:mp4:uuid')?.fate).toBe('lost')
    expect(diff.notice.fate).toBe('none')
    expect(diff.requiredLost).toEqual([])
  })

  it('a plain -c copy remux: every marker lost, exit 2', async () => {
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', join(work, 'clip.stamped.mp4'), '-c', 'copy', join(work, 'remux-plain.mp4')])
    const { code, diff } = await diffJson('clip.stamped.mp4', 'remux-plain.mp4')
    expect(code).toBe(2)
    expect(diff.afterStatus).toBe('unlabelled')
    expect(diff.markers.length).toBeGreaterThan(0)
    expect(diff.markers.every((m) => m.fate === 'lost')).toBe(true)
    expect(diff.requiredLost.map((r) => r.profile)).toEqual(['kz'])
  })

  it('folder mode pairs by relative path and lists the unpaired file', async () => {
    mkdirSync(join(work, 'A/sub'), { recursive: true })
    mkdirSync(join(work, 'B/sub'), { recursive: true })
    copyFileSync(join(work, 'clip.stamped.mp4'), join(work, 'A/sub/clip.mp4'))
    copyFileSync(join(work, 'remux-plain.mp4'), join(work, 'B/sub/clip.mp4'))
    copyFileSync(join(work, 'stamped.jpg'), join(work, 'A/only-before.jpg'))
    // Not a media file on both sides: skipped, as verify skips it when walking a folder.
    writeFileSync(join(work, 'A/.DS_Store'), '\x00\x01junk')
    writeFileSync(join(work, 'B/.DS_Store'), '\x00\x01junk')
    expect(readdirSync(join(work, 'B')).sort()).toEqual(['.DS_Store', 'sub'])
    const r = await run(['diff', 'A', 'B', '--json'])
    expect(r.code).toBe(2)
    const doc = JSON.parse(r.stdout) as { pairs: Array<{ path: string; diff: Diff }>; onlyBefore: string[]; onlyAfter: string[]; skipped: string[]; exitCode: number }
    expect(doc.skipped).toEqual(['.DS_Store'])
    expect(doc.pairs.map((p) => p.path)).toEqual(['sub/clip.mp4'])
    expect(doc.pairs[0]!.diff.markers.every((m) => m.fate === 'lost')).toBe(true)
    expect(doc.onlyBefore).toEqual(['only-before.jpg'])
    expect(doc.onlyAfter).toEqual([])
    expect(doc.exitCode).toBe(2)

    const human = await run(['diff', 'A', 'B'])
    expect(human.code).toBe(2)
    expect(human.stdout).toMatch(/^unpaired {2}only-before\.jpg: only in A$/m)
    expect(human.stdout).toMatch(/Compared 1 pair, 1 unpaired file, 1 file skipped\./)
  })
})
