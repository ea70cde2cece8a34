import { closeSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bmffDigest } from '../src/mp4/binding.js'
import { parseMp4 } from '../src/mp4/parse.js'
import { digestVideoFile, fileSource } from '../src/node.js'
import { bytesSource, type ByteSource } from '../src/source.js'
import { fixture, limits, workDir } from './helpers.js'

/** Counts what a source hands out, to show the reader never asks for the whole file at once. */
function counting(src: ByteSource) {
  const stats = { reads: 0, bytes: 0, largest: 0 }
  const wrapped: ByteSource = {
    size: src.size,
    read(offset, length) {
      stats.reads++
      stats.bytes += length
      stats.largest = Math.max(stats.largest, length)
      return src.read(offset, length)
    },
  }
  return { wrapped, stats }
}

describe('reading from a file descriptor (@tanba/video/node)', () => {
  for (const name of ['h264-aac.mp4', 'h264-aac.mov', 'hevc-aac.mp4']) {
    it(`${name}: the same digest as in memory, read box by box and chunk by chunk`, () => {
      const bytes = fixture(name)
      const path = join(workDir(), `fd-${name}`)
      writeFileSync(path, bytes)
      const fd = openSync(path, 'r')
      try {
        const { wrapped, stats } = counting(fileSource(fd))
        const fromFile = bmffDigest(parseMp4(wrapped, limits))
        expect(fromFile.digest).toBe(bmffDigest(parseMp4(bytesSource(bytes), limits)).digest)
        // Box headers, the moov box and each chunk once: never the file whole, never much more than it.
        const moov = parseMp4(bytesSource(bytes), limits).moovBox.size
        expect(stats.largest).toBeLessThan(bytes.length)
        expect(stats.bytes).toBeLessThan(bytes.length + moov + 64 * stats.reads)
      } finally {
        closeSync(fd)
      }
      expect(digestVideoFile(path).digest).toBe(bmffDigest(parseMp4(bytesSource(bytes), limits)).digest)
    })
  }

  it('scan hands out the bytes of a range in order, through one reused buffer', () => {
    const bytes = fixture('h264-aac.mp4')
    const path = join(workDir(), 'fd-scan.mp4')
    writeFileSync(path, bytes)
    const fd = openSync(path, 'r')
    try {
      const pieces: Uint8Array[] = []
      const buffers = new Set<ArrayBufferLike>()
      fileSource(fd).scan!(100, bytes.length - 200, (p) => {
        buffers.add(p.buffer)
        pieces.push(p.slice())
      })
      expect(Buffer.concat(pieces).equals(Buffer.from(bytes.subarray(100, bytes.length - 100)))).toBe(true)
      expect(buffers.size).toBe(1)
      expect(() => fileSource(fd).scan!(bytes.length - 10, 20, () => {})).toThrow(expect.objectContaining({ code: 'TANBA_MALFORMED_INPUT' }))
    } finally {
      closeSync(fd)
    }
  })

  it('a truncated file on disk gives a MalformedInputError, not a short read', () => {
    const bytes = fixture('h264-aac.mp4')
    const path = join(workDir(), 'fd-truncated.mp4')
    writeFileSync(path, bytes.subarray(0, bytes.length - 100))
    expect(() => digestVideoFile(path)).toThrow(expect.objectContaining({ code: 'TANBA_MALFORMED_INPUT' }))
  })
})
