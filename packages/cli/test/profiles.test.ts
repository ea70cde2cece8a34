// The in and us-ca profiles through the real command: a stamped file passes them; the same file
// stripped of its metadata by ExifTool (what platforms do on upload) fails them, naming the layer.
import { beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureBuilt, ROOT, tanba, tempDir } from './helpers.js'

const work = tempDir('tanba-cli-profiles-')
const configDir = join(work, 'config')
const hasExiftool = spawnSync('exiftool', ['-ver']).status === 0

beforeAll(() => {
  ensureBuilt()
  mkdirSync(configDir, { recursive: true })
}, 600_000)

interface Report {
  status: string
  profiles: Record<string, { pass: boolean; failures: string[]; details?: Array<{ message: string; citation: string }> }>
}

describe.skipIf(!hasExiftool)('profiles in and us-ca', () => {
  it('stamp --profile in --profile us-ca passes both; the ExifTool-stripped copy fails both with the missing layer named', async () => {
    copyFileSync(join(ROOT, 'fixtures/image/photo.jpg'), join(work, 'in.jpg'))
    const args = ['--owner', 'Acme LLP', '--owner-id', '123456789012', '--generator', 'Acme Studio', '--model', 'acme-3']
    const s = await tanba(['stamp', 'in.jpg', '-o', 'out.jpg', '--profile', 'in', '--profile', 'us-ca', ...args], { cwd: work, configDir })
    expect(s.code, s.stderr).toBe(0)
    const v = await tanba(['verify', 'out.jpg', '--profile', 'in', '--profile', 'us-ca', '--json'], { cwd: work, configDir })
    const stamped = (JSON.parse(v.stdout) as { results: Report[] }).results[0]!
    expect(stamped.status).toBe('valid')
    expect(stamped.profiles.in).toMatchObject({ pass: true })
    expect(stamped.profiles['us-ca']).toMatchObject({ pass: true })

    copyFileSync(join(work, 'out.jpg'), join(work, 'stripped.jpg'))
    execFileSync('exiftool', ['-q', '-all=', '-overwrite_original', join(work, 'stripped.jpg')])
    const w = await tanba(['verify', 'stripped.jpg', '--profile', 'in', '--profile', 'us-ca', '--json'], { cwd: work, configDir })
    const stripped = (JSON.parse(w.stdout) as { results: Report[] }).results[0]!
    expect(stripped.status).toBe('unlabelled')
    expect(stripped.profiles.in!.pass).toBe(false)
    expect(stripped.profiles.in!.details?.[0]?.message).toMatch(/missing embedded metadata with a unique identifier/)
    expect(stripped.profiles['us-ca']!.pass).toBe(false)
    expect(stripped.profiles['us-ca']!.details?.[0]).toMatchObject({ message: expect.stringMatching(/missing a latent disclosure/), citation: expect.stringMatching(/22757\.3\(b\)/) })
    // The human output names the layer and the provision too.
    const human = await tanba(['verify', 'stripped.jpg', '--profile', 'us-ca'], { cwd: work, configDir })
    expect(human.stdout).toMatch(/us-ca: .*missing a latent disclosure.*22757\.3\(b\)/)
  })
})
