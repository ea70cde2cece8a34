// `pnpm start` is the first thing the README asks a newcomer to run: the demo stamps every sample in
// fixtures/ with the built CLI and verifies them. It must end well and say plainly what each file got.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const config = mkdtempSync(join(tmpdir(), 'tanba-demo-'))
afterAll(() => rmSync(config, { recursive: true, force: true }))

describe('the demo (pnpm start)', () => {
  it('stamps every sample it can, without a notice where the format takes none, and every label verifies', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TANBA_CONFIG_DIR: config }, timeout: 600_000 })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/All labels verify/)
    const row = (file: string) => r.stdout.split('\n').find((l) => l.startsWith(`| ${file} `)) ?? ''
    // Formats without a perceivable notice are stamped with the carriers only, and say so.
    for (const file of ['audio/programme.m4a', 'audio/programme.ogg', 'video/h264-aac.mp4', 'video/h264-aac.mov']) expect(row(file), file).toMatch(/\| stamped, no notice +\| .* \| valid /)
    // What stays refused is what Tanba cannot stamp at all (WebM, fragmented MP4) or needs a password for.
    expect(row('video/vp9-opus.webm')).toMatch(/refused: format not supported/)
    expect(row('pdf/encrypted-aes256.pdf')).toMatch(/refused: needs its password/)
    expect(r.stdout).toMatch(/Verified (\d+): \1 valid, 0 invalid/)
  }, 600_000)
})
