// docs/profiles.md and the README's profile table are generated from the profile data.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..', '..')

describe.skipIf(!existsSync(join(ROOT, 'packages/core/dist/index.js')))('the profile documentation', () => {
  it('is what scripts/gen-profiles-doc.mjs makes from packages/core/src/profiles.ts', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-profiles-doc.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
