import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signLabel } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { createFileLedger } from '../src/node.js'

const dir = mkdtempSync(join(tmpdir(), 'tanba-ledger-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const creds = await createTestCredentials()
const unsigned = (id: string, payload?: string) => ({
  tanba: 1 as const,
  id,
  created: '2026-12-02T06:00:00Z',
  origin: 'generated' as const,
  system: { name: 'Acme' },
  owner: { name: 'Acme Ltd' },
  profiles: ['eu' as const],
  ...(payload ? { watermark: { method: 'tanba.wm.ss/1', payload, detection: 'public' as const } } : {}),
  binding: { method: 'tanba.image.pixels/1', alg: 'sha-256' as const, digest: 'A'.repeat(43) },
})

describe('file ledger', () => {
  it('appends labels as JSON lines and finds them by watermark payload, skipping lines that are not labels', async () => {
    const path = join(dir, 'a.jsonl')
    const ledger = createFileLedger(path)
    expect(await ledger.findByWatermark('10a245c1c65531e4')).toEqual([]) // no file yet
    const a = await signLabel(unsigned('0190a5b0-0000-7000-8000-000000000001', '10a245c1c65531e4'), creds.signer)
    const b = await signLabel(unsigned('0190a5b0-0000-7000-8000-000000000002'), creds.signer)
    await ledger.append(a)
    await ledger.append(b)
    await ledger.append(a) // twice: found once
    appendFileSync(path, '{"tanba":1,"id":"broken"}\nnot json at all\n')
    expect(await ledger.findByWatermark('10a245c1c65531e4')).toEqual([a])
    expect(await ledger.findByWatermark('10A245C1C65531E4')).toEqual([a])
    expect(ledger.skipped).toBe(2)
    // A line appended later is seen (the index is rebuilt when the file changes).
    const c = await signLabel(unsigned('0190a5b0-0000-7000-8000-000000000003', '10ffffffffffffff'), creds.signer)
    await ledger.append(c)
    expect(await ledger.findByWatermark('10ffffffffffffff')).toEqual([c])
  })

  it('an empty or garbage file yields nothing', async () => {
    const path = join(dir, 'b.jsonl')
    writeFileSync(path, '\n\n[]\n')
    expect(await createFileLedger(path).findByWatermark('10a245c1c65531e4')).toEqual([])
  })
})
