import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closePixelDecoder, decodeGreyIsolated, pixelDecoderPid } from '../src/pixels.js'

const FIXTURES = join(import.meta.dirname, '../../../fixtures/image')
const photo = new Uint8Array(readFileSync(join(FIXTURES, 'photo.jpg')))
const opts = { maxPixels: 268_402_689, side: 128 }

afterAll(() => closePixelDecoder())

describe('the out-of-process pixel decoder (the watermark search on verify)', () => {
  it('decodes a shrunken greyscale copy in another process', async () => {
    const grey = await decodeGreyIsolated(photo, opts)
    expect(Math.min(grey.width, grey.height)).toBe(128)
    expect(grey.data.length).toBe(grey.width * grey.height)
    const pid = pixelDecoderPid()
    expect(pid).toBeGreaterThan(0)
    expect(pid).not.toBe(process.pid)
    // The pixels are the picture's: not a constant plane.
    expect(new Set(grey.data).size).toBeGreaterThan(32)
  })

  it('a decoder killed while idle is replaced by a fresh one on the next search', async () => {
    await decodeGreyIsolated(photo, opts)
    const pid = pixelDecoderPid()!
    process.kill(pid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 200))
    const grey = await decodeGreyIsolated(photo, opts)
    expect(grey.width).toBeGreaterThan(0)
    expect(pixelDecoderPid()).not.toBe(pid)
  })

  it('a decode that overruns its time limit fails with a typed error and the next one works', async () => {
    const error = await decodeGreyIsolated(photo, { ...opts, timeoutMs: 1 }).then(
      () => null,
      (e: unknown) => e as { code?: string },
    )
    // 1 ms is shorter than any decode of a 1-megapixel JPEG through IPC.
    expect(error?.code).toBe('TANBA_DEPENDENCY_FAILED')
    expect((await decodeGreyIsolated(photo, opts)).width).toBeGreaterThan(0)
  })

  it('a file the decoder refuses gives an error, not a crash, and the process stays up', async () => {
    const broken = photo.slice(0, 200)
    await expect(decodeGreyIsolated(broken, opts)).rejects.toThrow()
    const pid = pixelDecoderPid()
    expect((await decodeGreyIsolated(photo, opts)).width).toBeGreaterThan(0)
    expect(pixelDecoderPid()).toBe(pid)
  })
})
