import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { EssenceHasher, TextStampStream, digestText, findSelectorRuns, stampText, verifyText } from '../src/index.js'
import { dec, enc, stampOptions, streamOf } from './helpers.js'

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})

// Characters that stress NFC at chunk boundaries, the wrapper scanner and UTF-8 encoding.
const tricky = fc.constantFrom(
  'e', 'A', ' ', '\n', '\u0301', '\u0308', '\u0323', '\u0345', '\u0F73', '\u0344', // combining marks, reordering
  'ᄀ', 'ᅡ', 'ᆨ', '가', '\uD7B0', // Hangul L, V, T jamo, an LV syllable
  'Å', 'Ω', '\uF900', 'ǅ', 'ẛ', 'ﬁ', // singletons and compatibility forms
  '\uFEFF', '\uFE00', '\uFE0F', '\uDB40\uDD00', '\uDB40\uDDEF', // wrapper pieces and emoji VS16
  '\uD800', '\uDBFF', '\uDC00', // lone surrogates
  '😀', '👍🏽', 'қ', 'ә', 'oʻ', '中', 'ע', 'ب',
)
const text = fc.array(fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 60 }).map((parts) => parts.join(''))
const chunking = (s: string) => fc.array(fc.nat(s.length), { maxLength: 12 }).map((cuts) => {
  const points = [...new Set([0, ...cuts, s.length])].sort((a, b) => a - b)
  return points.slice(1).map((p, i) => s.slice(points[i], p))
})

describe('properties', () => {
  it('the incremental essence hasher equals the digest of the finished text, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(text.chain((s) => fc.tuple(fc.constant(s), chunking(s))), async ([, chunks]) => {
        const hasher = new EssenceHasher()
        const portable = new EssenceHasher({ native: false })
        for (const c of chunks) {
          hasher.update(c)
          portable.update(c)
        }
        // The verifier sees the UTF-8 bytes of the text (lone surrogates as U+FFFD).
        const written = dec.decode(enc.encode(chunks.join('')))
        const expected = await digestText(written)
        expect(hasher.digest()).toBe(expected)
        expect(portable.digest()).toBe(expected)
        // The in-place fast path agrees with the general one.
        expect(await digestText(written, enc.encode(written))).toBe(expected)
      }),
      { numRuns: 3000 },
    )
  })

  it('the hasher stays exact past its batching threshold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 8 }), fc.nat(40_000), async (parts, pad) => {
        const hasher = new EssenceHasher()
        const big = 'x'.repeat(pad)
        const chunks = [big, ...parts, big.slice(0, pad >> 1), ...parts]
        for (const c of chunks) hasher.update(c)
        const written = dec.decode(enc.encode(chunks.join('')))
        expect(hasher.digest()).toBe(await digestText(written))
      }),
      { numRuns: 150 },
    )
  })

  it('stamp then verify is valid for any text, and any inserted character makes it invalid', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.nat(), fc.constantFrom('x', 'ә', '\u0301', ' '), async (s, at, extra) => {
        const { text: stamped } = await stampText(s, stampOptions(creds))
        expect((await verifyText(stamped)).status).toBe('valid')
        const chars = [...stamped]
        const i = at % (chars.length + 1)
        const edited = [...chars.slice(0, i), extra, ...chars.slice(i)].join('')
        // NFC may merge a combining mark into a preceding letter that was already composed the same way;
        // everything else must be caught.
        if (edited.normalize('NFC') !== stamped.normalize('NFC')) expect((await verifyText(edited)).status).not.toBe('valid')
      }),
      { numRuns: 150 },
    )
  })

  it('streamed tokens verify for any tokenisation', async () => {
    await fc.assert(
      fc.asyncProperty(text.chain((s) => chunking(s)), async (tokens) => {
        const stream = new TextStampStream(stampOptions(creds))
        let out = ''
        await streamOf(tokens).pipeThrough(stream).pipeTo(new WritableStream({ write: (c) => void (out += c) }))
        expect((await verifyText(dec.decode(enc.encode(out)))).status).toBe('valid')
      }),
      { numRuns: 100 },
    )
  })

  it('Markdown and HTML round trips hold for any body', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom('markdown' as const, 'html' as const), async (body, format) => {
        const { text: stamped } = await stampText(body, { ...stampOptions(creds), format })
        expect((await verifyText(stamped, { format })).status).toBe('valid')
      }),
      { numRuns: 100 },
    )
  })
})
