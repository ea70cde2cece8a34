import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { stampWith } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVideoAdapter } from '../src/adapter.js'
import { fixture, format, hasTool } from './helpers.js'

// Headless Chromium (Debian's) loads and decodes the stamped clips: the boxes Tanba rewrote and
// added (moov with mdta keys, the XMP uuid box, moved chunk offsets) are read by a browser's demuxer.
const HAS_CHROMIUM = hasTool('chromium')
const files = new Map<string, Uint8Array>()
let server: Server
let base = ''

const PAGE = `<!doctype html><video id="v" muted></video><pre id="r">pending</pre><script>
const v = document.getElementById('v'), r = document.getElementById('r')
v.addEventListener('error', () => { r.textContent = 'error ' + (v.error && v.error.code) })
v.addEventListener('loadeddata', () => { r.textContent = 'loaded ' + v.videoWidth + 'x' + v.videoHeight + ' ' + v.duration.toFixed(2) })
v.src = new URLSearchParams(location.search).get('f')
</script>`

function load(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--timeout=8000', '--dump-dom', `${base}/page.html?f=${name}`], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    // A browser that hangs is ended (this process started it, by its id).
    const guard = setTimeout(() => child.kill('SIGKILL'), 45_000)
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('error', reject)
    child.on('close', () => clearTimeout(guard))
    child.on('close', () => resolve(/<pre id="r">([^<]*)/.exec(out)?.[1] ?? `no result: ${out.slice(0, 200)}`))
  })
}

beforeAll(async () => {
  if (!HAS_CHROMIUM) return
  const creds = await createTestCredentials()
  const adapter = createVideoAdapter()
  for (const name of ['h264-aac.mp4', 'h264-opus.mp4', 'av1.mp4']) {
    files.set(`original-${name}`, fixture(name))
    const result = await stampWith(adapter, fixture(name), format('mp4'), { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, profiles: ['kz'], c2pa: false, notice: { visible: false } })
    files.set(`stamped-${name}`, result.bytes)
  }
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!.slice(1)
    if (path === 'page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
    const body = files.get(path)
    if (!body) return res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}, 60_000)

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

describe.skipIf(!HAS_CHROMIUM)('headless Chromium decodes the stamped clips', () => {
  for (const name of ['h264-aac.mp4', 'h264-opus.mp4', 'av1.mp4']) {
    it(`${name}: the stamped file loads and decodes its first frame like the original`, async () => {
      const original = await load(`original-${name}`)
      expect(original).toMatch(/^loaded 320x240 1\.\d\d$/)
      expect(await load(`stamped-${name}`)).toBe(original)
    })
  }
})
