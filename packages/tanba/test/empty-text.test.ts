// An empty text is stamped with a note, and verifies.
import { describe, expect, it } from 'vitest'
import { createTestCredentials } from '@tanba/core/testing'
import { stamp, verify } from '../src/index.js'

describe('an empty text', () => {
  it('is stamped with the text.empty note; the result verifies as valid and shows the notice', async () => {
    const creds = await createTestCredentials()
    const r = await stamp(new Uint8Array(0), { signer: creds.signer, filename: 'empty.txt', system: { name: 'Test' }, owner: { name: 'Test LLP' } })
    expect(r.messages.map((m) => m.rule)).toContain('text.empty')
    const text = new TextDecoder().decode(r.bytes)
    expect(text).toMatch(/жасанды интеллект/)
    const report = await verify(r.bytes, { filename: 'empty.txt', trust: creds.trust })
    expect(report.status).toBe('valid')
    // A text with content gets no such note.
    const full = await stamp(new TextEncoder().encode('Some words.\n'), { signer: creds.signer, filename: 'a.txt', system: { name: 'Test' }, owner: { name: 'Test LLP' } })
    expect(full.messages.map((m) => m.rule)).not.toContain('text.empty')
  })
})
