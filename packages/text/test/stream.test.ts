import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AbortedError, InvalidOptionError, type Label } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { NOTICE_TAG, TextStampStream, createStreamStamper, verifyText } from '../src/index.js'
import { createNodeStampStream } from '../src/node.js'
import { isSafeStart } from '../src/stream.js'
import { SAMPLES, WRAPPER_RE, dec, enc, stampOptions, withoutWrappers, streamOf } from './helpers.js'

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})

const NOTICE = `${NOTICE_TAG} Бұл мазмұнды жасанды интеллект жасаған / Этот контент создан искусственным интеллектом`

function tokensOf(text: string, size = 3): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size)) // may split surrogate pairs on purpose
  return out
}

async function run(tokens: string[], stream: TransformStream<string, string>): Promise<string[]> {
  const chunks: string[] = []
  await streamOf(tokens).pipeThrough(stream).pipeTo(new WritableStream({ write: (c) => void chunks.push(c) }))
  return chunks
}

describe('TextStampStream', () => {
  it('emits the notice, passes every token unchanged, ends with the label; the result verifies', async () => {
    const text = Object.values(SAMPLES).join('\n')
    const tokens = tokensOf(text)
    const stream = new TextStampStream(stampOptions(creds))
    const chunks = await run(tokens, stream)
    expect(chunks[0]).toBe(`${NOTICE}\n\n`)
    expect(chunks.slice(1, -1)).toEqual(tokens)
    expect(chunks.at(-1)).toMatch(new RegExp(`^${WRAPPER_RE.source}$`))
    const label = await stream.label
    const report = await verifyText(chunks.join(''))
    expect(report.status).toBe('valid')
    expect(report.label).toEqual(label)
    expect(report.binding?.method).toBe('tanba.text/2')
  })

  it('does not hold tokens back: each comes out before the next goes in', async () => {
    const stream = new TextStampStream(stampOptions(creds))
    const writer = stream.writable.getWriter()
    const reader = stream.readable.getReader()
    expect((await reader.read()).value).toBe(`${NOTICE}\n\n`)
    for (const token of ['Сәлем', ', ', 'әлем', '!']) {
      void writer.write(token)
      expect((await reader.read()).value).toBe(token)
    }
    void writer.close()
    const tail = await reader.read()
    expect(tail.value).toMatch(/^\uFEFF/)
    expect((await reader.read()).done).toBe(true)
  })

  it('puts the notice at the end when asked, after a line break', async () => {
    const chunks = await run(['Мәтін', '.'], new TextStampStream(stampOptions(creds, { notice: { placement: 'end' } })))
    expect(withoutWrappers(chunks.join(''))).toBe(`Мәтін.\n\n${NOTICE}\n`)
    expect((await verifyText(chunks.join(''))).status).toBe('valid')
  })

  it('streams with the notice turned off, and an empty stream', async () => {
    const off = await run(['a', 'b'], new TextStampStream(stampOptions(creds, { notice: { visible: false } })))
    expect(withoutWrappers(off.join(''))).toBe('ab')
    expect((await verifyText(off.join(''))).status).toBe('valid')
    const empty = await run([], new TextStampStream(stampOptions(creds)))
    expect((await verifyText(empty.join(''))).status).toBe('valid')
  })

  it('binds NFC across token boundaries, split surrogate pairs, lone surrogates and selector runs in tokens', async () => {
    const tokens = ['e', '\u0301', 'ᄀ', 'ᅡ', 'ᆨ', '\uD83D', '\uDE00', ' ', '\uD800', 'x', 'Å', '\uFEFF', '\uFE01', '\uFE02', ' ok ❤', '\uFE0F', '\uDC00']
    const chunks = await run(tokens, new TextStampStream(stampOptions(creds)))
    // What a consumer writes out is the UTF-8 of the chunks (lone surrogates become U+FFFD).
    const bytes = enc.encode(chunks.join(''))
    const report = await verifyText(dec.decode(bytes))
    expect(report.status).toBe('valid')
  })

  it('rejects a non-string chunk with a typed error, and the label promise rejects too', async () => {
    const stream = new TextStampStream(stampOptions(creds))
    const error = await run([new Uint8Array([1]) as unknown as string], stream).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidOptionError)
    await expect(stream.label).rejects.toBeInstanceOf(InvalidOptionError)
  })

  it('stops when its AbortSignal fires', async () => {
    const controller = new AbortController()
    const stream = new TextStampStream(stampOptions(creds, { signal: controller.signal }))
    const writer = stream.writable.getWriter()
    const reader = stream.readable.getReader()
    await reader.read()
    void writer.write('a')
    await reader.read()
    controller.abort()
    await expect(writer.write('b')).rejects.toBeInstanceOf(AbortedError)
    await expect(stream.label).rejects.toBeInstanceOf(AbortedError)
  })

  it('exposes the engine for hand-written loops', async () => {
    const stamper = createStreamStamper(stampOptions(creds))
    let out = stamper.head
    for (const t of ['один ', 'два']) out += stamper.push(t)
    const { tail, label } = await stamper.finish()
    out += tail
    expect((await verifyText(out)).label?.id).toBe(label.id)
    await expect(stamper.finish()).rejects.toBeInstanceOf(InvalidOptionError)
  })
})

describe('NFC-safe cut points', () => {
  it('never cuts before a code point that can combine with, or reorder against, what precedes it', () => {
    // Composition "seconds": the later characters of every canonical decomposition, plus Hangul V/T jamo.
    const seconds = new Set<number>()
    for (let y = 0; y <= 0x10ffff; y++) {
      if (y >= 0xd800 && y <= 0xdfff) continue
      const d = [...String.fromCodePoint(y).normalize('NFD')]
      for (const ch of d.slice(1)) seconds.add(ch.codePointAt(0)!)
    }
    for (let v = 0x1161; v <= 0x1175; v++) seconds.add(v)
    for (let t = 0x11a8; t <= 0x11c2; t++) seconds.add(t)
    // A non-starter (canonical combining class > 1) is reordered before U+0334 (class 1).
    const nonStarter = (s: string) => (s + '\u0334').normalize('NFD') !== s.normalize('NFD') + '\u0334'
    const wrong: string[] = []
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const s = String.fromCodePoint(c)
      if (!isSafeStart(s, 0)) continue
      const first = s.normalize('NFD').codePointAt(0)!
      if (seconds.has(c) || seconds.has(first) || nonStarter(String.fromCodePoint(first))) wrong.push(c.toString(16))
    }
    expect(wrong).toEqual([])
  })
})

describe('Node stream wrapper (@tanba/text/node)', () => {
  it('labels Buffers split inside characters and strings alike', async () => {
    const bytes = enc.encode(SAMPLES.kazakh + SAMPLES.chinese + SAMPLES.emoji)
    const pieces: Array<Buffer | string> = []
    for (let i = 0; i < bytes.length; i += 5) pieces.push(Buffer.from(bytes.subarray(i, i + 5)))
    pieces.push(' — end')
    const transform = createNodeStampStream(stampOptions(creds))
    const out: Buffer[] = []
    await pipeline(Readable.from(pieces, { objectMode: false }), transform, async function* (source) {
      for await (const chunk of source) out.push(chunk as Buffer)
    })
    const text = Buffer.concat(out).toString('utf8')
    expect(withoutWrappers(text)).toBe(`${NOTICE}\n\n${SAMPLES.kazakh}${SAMPLES.chinese}${SAMPLES.emoji} — end`)
    const label: Label = await transform.label
    const report = await verifyText(text)
    expect(report.status).toBe('valid')
    expect(report.label?.id).toBe(label.id)
  })

  it('turns invalid bytes into U+FFFD consistently, so the label still matches what was written', async () => {
    const transform = createNodeStampStream(stampOptions(creds))
    const out: Buffer[] = []
    transform.on('data', (c: Buffer) => out.push(c))
    transform.write(Buffer.from([0x41, 0xff, 0xc3]))
    transform.end(Buffer.from([0x28]))
    await transform.label
    const report = await verifyText(Buffer.concat(out).toString('utf8'))
    expect(report.status).toBe('valid')
  })
})
