import { copyFile, mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

export const CORPUS = '/work/shared/corpus'

/** Copies a corpus file into `dir` (the corpus is read-only) and returns its bytes. */
export async function corpusCopy(dir: string, path: string): Promise<Uint8Array> {
  const target = join(dir, basename(path))
  await copyFile(join(CORPUS, path), target)
  return new Uint8Array(await readFile(target))
}

export function makeTmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `tanba-c2pa-${prefix}-`))
}
