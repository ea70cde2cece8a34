// A label ledger in a JSON-lines file: one signed label per line, appended with a single write in
// append mode (so concurrent stampers do not interleave lines), read back through an index rebuilt
// when the file grows. Lines that are not schema-valid labels are skipped, never trusted.
import { appendFile, readFile, stat } from 'node:fs/promises'
import { isLabel, MalformedInputError, type Label, type LabelLedger } from '@tanba/core'

/** The largest ledger file read into memory (a database store suits more). */
export const MAX_LEDGER_BYTES = 512 * 1024 * 1024

export interface FileLedger extends LabelLedger {
  /** Lines skipped on the last read because they were not valid labels. */
  readonly skipped: number
}

export function createFileLedger(path: string): FileLedger {
  let index: Map<string, Label[]> | undefined
  let indexedSize = -1
  let indexedMtime = -1
  let skipped = 0

  async function load(): Promise<Map<string, Label[]>> {
    let info
    try {
      info = await stat(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
      throw error
    }
    if (index && info.size === indexedSize && info.mtimeMs === indexedMtime) return index
    if (info.size > MAX_LEDGER_BYTES) throw new MalformedInputError(`Expected a ledger file of at most ${MAX_LEDGER_BYTES} bytes but ${path} holds ${info.size}; use a database-backed ledger`)
    const text = await readFile(path, 'utf8')
    const next = new Map<string, Label[]>()
    skipped = 0
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        skipped++
        continue
      }
      if (!isLabel(value)) {
        skipped++
        continue
      }
      const payload = value.watermark?.payload
      if (!payload) continue
      const list = next.get(payload) ?? []
      if (!list.some((l) => l.sig.value === value.sig.value)) list.push(value)
      next.set(payload, list)
    }
    index = next
    indexedSize = info.size
    indexedMtime = info.mtimeMs
    return next
  }

  return {
    name: path,
    get skipped() {
      return skipped
    },
    async append(label: Label) {
      await appendFile(path, `${JSON.stringify(label)}\n`, { flag: 'a' })
    },
    async findByWatermark(payload: string) {
      return [...((await load()).get(payload.toLowerCase()) ?? [])]
    },
  }
}
