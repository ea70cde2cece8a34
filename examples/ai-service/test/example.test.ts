// Runs the service as a user would (a real process on 127.0.0.1, an ephemeral port), requests an
// image, a text and a streamed text, and verifies each response with the SDK.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TrustStore, verify } from 'tanba'

const dir = fileURLToPath(new URL('..', import.meta.url))
let child: ChildProcess
let url: string
let trust: TrustStore

beforeAll(async () => {
  child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'index.mjs', '--port', '0', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit').then(([code]) => Promise.reject(new Error(`the service exited with ${code} before listening`)))
  const [line] = (await Promise.race([once(child.stdout!, 'data'), exited])) as [Buffer]
  url = JSON.parse(line.toString().trim().split('\n')[0]!).url
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  trust = await TrustStore.from({ pem: await (await fetch(`${url}/trust.pem`)).text() })
}, 60_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
})

const DISCLOSURE = /^mode=ai-originated, model="demo-model-1", provider="Demo AI LLP", date="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/

describe('examples/ai-service', () => {
  it('labels the images it generates: visible warning, XMP, C2PA, a trusted valid label, the header', async () => {
    const res = await fetch(`${url}/v1/images?prompt=${encodeURIComponent('a lake at dawn')}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('ai-disclosure')).toMatch(DISCLOSURE)
    const bytes = new Uint8Array(await res.arrayBuffer())
    const report = await verify(bytes, { mediaType: 'image/png', trust })
    expect(report.status).toBe('valid')
    expect(report.signature?.trusted).toBe(true)
    expect(report.label?.notice?.method).toBe('overlay')
    expect(report.label?.prompt?.text).toBe('a lake at dawn')
    expect(report.markers.map((m) => m.standard).sort()).toEqual(['c2pa', 'iptc', 'tanba', 'tanba', 'tc260', 'watermark'])
    expect(report.markers.find((m) => m.standard === 'c2pa')?.valid).toBe(true)
    expect(report.profiles.kz?.pass).toBe(true)
  })

  it('labels a whole text answer', async () => {
    const res = await fetch(`${url}/v1/text`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hello' }) })
    expect(res.headers.get('ai-disclosure')).toMatch(DISCLOSURE)
    const text = await res.text()
    expect(text.startsWith('[AI] Бұл мазмұнды жасанды интеллект жасаған / Этот контент создан искусственным интеллектом\n\nYou asked: “hello”.')).toBe(true)
    const report = await verify(new TextEncoder().encode(text), { mediaType: 'text/plain', trust })
    expect(report.status).toBe('valid')
    expect(report.profiles.kz?.pass).toBe(true)
  })

  it('streams text through the labeller: header before the body, notice first, label bound to all tokens', async () => {
    const res = await fetch(`${url}/v1/text/stream?prompt=stream`)
    expect(res.headers.get('ai-disclosure')).toMatch(DISCLOSURE)
    const chunks: string[] = []
    const decoder = new TextDecoder()
    for await (const chunk of res.body! as unknown as AsyncIterable<Uint8Array>) chunks.push(decoder.decode(chunk, { stream: true }))
    const text = chunks.join('') + decoder.decode()
    expect(chunks.length).toBeGreaterThan(5) // it really streamed
    expect(text.startsWith('[AI] ')).toBe(true)
    const report = await verify(new TextEncoder().encode(text), { mediaType: 'text/plain', trust })
    expect(report.status).toBe('valid')
    expect(report.signature?.valid).toBe(true)
    expect(report.binding?.valid).toBe(true)
    // Any edit breaks it.
    const edited = text.replace('stream', 'strean')
    expect((await verify(new TextEncoder().encode(edited), { mediaType: 'text/plain', trust })).status).toBe('invalid')
  })
})
