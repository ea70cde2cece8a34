// diffMarks / diffFiles on real files: a stamped JPEG whose IPTC source type ExifTool rewrote
// (changed; the C2PA manifest's hash over the XMP breaks), an unlabelled original against its
// stamped copy (added), and a profile evaluated from the markers when verify did not run it.
import { beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { diffFiles, diffMarks, stamp, verify } from '../src/node.js'

const work = mkdtempSync(join(tmpdir(), 'tanba-diff-'))
const PHOTO = new URL('../../../fixtures/image/photo.jpg', import.meta.url).pathname
const hasExiftool = spawnSync('exiftool', ['-ver'], { stdio: 'ignore' }).status === 0
if (!hasExiftool) console.warn('SKIPPING the ExifTool diff case: exiftool is not installed')
let creds: TestCredentials

beforeAll(async () => {
  creds = await createTestCredentials()
  const out = await stamp(new Uint8Array(readFileSync(PHOTO)), { signer: creds.signer, owner: { name: 'Acme LLP' }, system: { name: 'Acme Studio' }, filename: 'photo.jpg' })
  writeFileSync(join(work, 'stamped.jpg'), out.bytes)
  writeFileSync(join(work, 'ca.pem'), creds.caPem)
}, 120_000)

describe('diffFiles', () => {
  it.skipIf(!hasExiftool)('a rewritten IPTC digital source type is "changed"; the C2PA manifest over it is "broken"', async () => {
    execFileSync('exiftool', ['-q', '-o', join(work, 'retyped.jpg'), '-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic', join(work, 'stamped.jpg')])
    const d = await diffFiles(join(work, 'stamped.jpg'), join(work, 'retyped.jpg'), { trust: [join(work, 'ca.pem')] })
    expect(d.markers.find((m) => m.standard === 'iptc')).toMatchObject({ fate: 'changed', carrier: 'xmp', afterCarrier: 'xmp' })
    expect(d.markers.find((m) => m.standard === 'c2pa')?.fate).toBe('broken')
    expect(d.markers.find((m) => m.standard === 'tc260')?.fate).toBe('kept')
    expect(d.added).toEqual([])
  })

  it('an unlabelled original against its stamped copy: nothing lost, every marker added', async () => {
    const d = await diffFiles(PHOTO, join(work, 'stamped.jpg'))
    expect(d.markers).toEqual([])
    expect(d.added.map((m) => m.standard).sort()).toEqual(['c2pa', 'iptc', 'tanba', 'tanba', 'tc260'])
    expect(d.notice.fate).toBe('none')
    expect(d.requiredLost).toEqual([])
  })

  it('diffMarks evaluates a profile neither report was verified with, from the markers', async () => {
    const bytes = new Uint8Array(readFileSync(join(work, 'stamped.jpg')))
    const before = await verify(bytes, { trust: creds.trust, filename: 'stamped.jpg' })
    expect(before.profiles.eu).toBeUndefined()
    const stripped = await verify(new Uint8Array(readFileSync(PHOTO)), { trust: creds.trust, filename: 'photo.jpg' })
    const d = diffMarks(before, stripped, { profiles: ['eu'] })
    expect(d.profiles).toEqual(['eu'])
    expect(d.markers.every((m) => m.fate === 'lost')).toBe(true)
    expect(d.requiredLost.length).toBeGreaterThan(0)
    expect(d.requiredLost.every((r) => r.profile === 'eu')).toBe(true)
  })
})
