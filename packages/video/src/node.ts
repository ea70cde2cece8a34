// Node-only entry: reads a video by offset from a file descriptor, so a 2 GB file is never held in memory.
import { openSync, closeSync, fstatSync, readSync } from 'node:fs'
import { resolveLimits, type Limits } from '@tanba/core'
import { bmffDigest, type BmffDigest } from './mp4/binding.js'
import { parseMp4 } from './mp4/parse.js'
import { checkRange, type ByteSource } from './source.js'

/** A ByteSource over an open file descriptor (positional reads; the descriptor stays the caller's). */
export function fileSource(fd: number): ByteSource {
  const size = fstatSync(fd).size
  let scratch: Uint8Array | undefined
  const fill = (out: Uint8Array, offset: number, length: number) => {
    let done = 0
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done)
      if (n === 0) break
      done += n
    }
    // The file shrank while it was read.
    if (done < length) checkRange(offset, length, offset + done)
  }
  return {
    size,
    read(offset, length) {
      checkRange(offset, length, size)
      const out = new Uint8Array(length)
      fill(out, offset, length)
      return out
    },
    scan(offset, length, visit) {
      checkRange(offset, length, size)
      scratch ??= new Uint8Array(SCAN_WINDOW)
      for (let o = 0; o < length; o += SCAN_WINDOW) {
        const n = Math.min(SCAN_WINDOW, length - o)
        fill(scratch, offset + o, n)
        visit(scratch.subarray(0, n))
      }
    },
  }
}

/** The buffer a file source reuses while hashing sample data. */
const SCAN_WINDOW = 4 * 1024 ** 2

/** The binding digest of a video file on disk, read box by box and chunk by chunk. */
export function digestVideoFile(path: string, limits: Partial<Limits> = {}, signal?: AbortSignal): BmffDigest {
  const fd = openSync(path, 'r')
  try {
    return bmffDigest(parseMp4(fileSource(fd), resolveLimits(limits)), signal)
  } finally {
    closeSync(fd)
  }
}

export * from './index.js'
