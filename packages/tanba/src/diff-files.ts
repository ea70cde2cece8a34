// Node side of `diffMarks`: verifies BEFORE and AFTER files with the same trust options and
// compares their marks; folder mode pairs files by relative path.
import { readdir } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { openOptions, openWith, resolveLimits, type ProfileId, type VerificationReport } from '@tanba/core'
import { diffMarks, type MarksDiff } from './diff.js'
import { readInput } from './files.js'
import { verifyFile, type VerifyFileOptions } from './node.js'
import { defaultRegistry } from './registry.js'

export interface DiffFilesOptions extends VerifyFileOptions {
  /** Profiles to compare (default: BEFORE's label's profiles, else ["kz"]). */
  profiles?: ProfileId[]
}

export interface FileMarksDiff extends MarksDiff {
  before: VerificationReport
  after: VerificationReport
}

/** Verifies both files (same trust options) and reports what became of each BEFORE marker in AFTER. */
export async function diffFiles(beforePath: string, afterPath: string, options: DiffFilesOptions = {}): Promise<FileMarksDiff> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const before = await verifyFile(beforePath, { ...options, cwd })
  // AFTER is judged by the profiles BEFORE was: its own label (if any survived) must not change the question.
  const profiles = options.profiles?.length ? options.profiles : (Object.keys(before.profiles) as ProfileId[])
  const after = await verifyFile(afterPath, { ...options, cwd, ...(profiles.length ? { profiles } : {}) })
  const contentUnchanged = await sameContent(before, resolve(cwd, afterPath), options)
  return { ...diffMarks(before, after, { ...(profiles.length ? { profiles } : {}), contentUnchanged }), before, after }
}

export interface DiffFoldersResult {
  pairs: Array<{ path: string; diff: FileMarksDiff }>
  /** Relative paths found on one side only. */
  onlyBefore: string[]
  onlyAfter: string[]
  /** Paired files that are not a format Tanba knows (as `verify` skips them when walking a folder). */
  skipped: string[]
}

/** Pairs the files of two folders by relative path (recursively) and diffs each pair. */
export async function diffFolders(beforeDir: string, afterDir: string, options: DiffFilesOptions = {}): Promise<DiffFoldersResult> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const b = resolve(cwd, beforeDir)
  const a = resolve(cwd, afterDir)
  const [left, right] = await Promise.all([listFiles(b), listFiles(a)])
  const rightSet = new Set(right)
  const leftSet = new Set(left)
  const pairs: DiffFoldersResult['pairs'] = []
  const skipped: string[] = []
  for (const path of left.filter((p) => rightSet.has(p))) {
    options.signal?.throwIfAborted()
    const diff = await diffFiles(join(b, path), join(a, path), { ...options, cwd })
    if (diff.before.error?.code === 'TANBA_UNRECOGNISED_FORMAT' && diff.after.error?.code === 'TANBA_UNRECOGNISED_FORMAT') skipped.push(path)
    else pairs.push({ path, diff })
  }
  return { pairs, onlyBefore: left.filter((p) => !rightSet.has(p)), onlyAfter: right.filter((p) => !leftSet.has(p)), skipped }
}

/** Regular files under a folder as sorted relative paths with "/" separators. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort()
}

/** AFTER's content digest under BEFORE's verified label binding equals that binding: the content is unchanged. */
async function sameContent(before: VerificationReport, afterAbs: string, options: DiffFilesOptions): Promise<boolean> {
  const label = before.label
  if (!label || !before.binding?.valid) return false
  try {
    const bytes = await readInput(afterAbs, resolveLimits(options.limits).maxInputBytes)
    const registry = defaultRegistry()
    const detection = registry.detect(bytes, { filename: afterAbs })
    const adapter = await registry.load(detection)
    const asset = await openWith(adapter, bytes, detection.format, openOptions(options))
    const digest = await asset.digest(label.binding)
    return digest === label.binding.digest
  } catch {
    // A file that cannot be read or digested is not provably unchanged.
    return false
  }
}
