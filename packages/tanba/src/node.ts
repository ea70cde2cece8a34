// tanba/node: everything in `tanba`, plus files, folders, worker threads, config files and keys.
import { chmod, mkdir, stat } from 'node:fs/promises'
import { join, relative, resolve, isAbsolute } from 'node:path'
import { generateSigningCredentials, InvalidOptionError, type GenerateCredentialsOptions, type TrustStore, type VerificationReport } from '@tanba/core'
import { developmentCredentials, writeFileAtomic } from '@tanba/core/node'
import { assertOutputChoice, runInspectJob, runStampJob, runVerifyJob, type StampFileResult } from './files.js'
import type { InspectReport } from './operations.js'
import { defaultRegistry } from './registry.js'
import { resolveStampSettings, resolveVerifySettings, type StampSettingsInput, type VerifySettingsInput } from './settings.js'

export * from './index.js'
export { createFileLedger, type FileLedger } from '@tanba/watermark/node'
export { loadConfig, validateConfig, CONFIG_FILE, PLACEMENTS, type TanbaConfig, type ConfigDefaults, type LoadedConfig, type NoticePlacement } from './config.js'
export {
  resolveStampSettings,
  resolveVerifySettings,
  resolveSigner,
  buildTrustStore,
  UNSPECIFIED_OWNER,
  UNSPECIFIED_SYSTEM,
  type StampSettingsInput,
  type VerifySettingsInput,
  type StampSettings,
  type VerifySettings,
  type ResolvedSigner,
  type ResolvedStamp,
  type ResolvedVerify,
  type SignerSource,
  type ConfigSource,
} from './settings.js'
export {
  stampFiles,
  verifyFiles,
  expandInputs,
  exitCodeFor,
  defaultConcurrency,
  globBase,
  sweepTemporaryFiles,
  type FileEntry,
  type BatchOptions,
  type BatchProgress,
  type BatchStart,
  type StampFilesOptions,
  type StampFilesSummary,
  type VerifyFilesOptions,
  type VerifyFilesSummary,
  type SkippedFile,
} from './batch.js'
export { createStampRunner, createVerifyRunner, type StampRunner, type VerifyRunner, type StampRunnerFile, type RunnerOptions, type FileStampSettings, type FileVerifySettings } from './runner.js'
export { readInput, toFileError, type StampFileResult, type StampFileStatus, type FileError, type VerifyFileOutcome } from './files.js'
export { close } from './shutdown.js'
export { diffFiles, diffFolders, type DiffFilesOptions, type FileMarksDiff, type DiffFoldersResult } from './diff-files.js'
export { listFormats, type FormatSupport, type NoticeSupport } from './formats.js'
export { developmentCredentials, configDir, loadPemSigner, loadTrustStore, writeFileAtomic, type DevelopmentCredentials } from '@tanba/core/node'

export interface StampFileOptions extends StampSettingsInput {
  /** Where to write the stamped copy. */
  output?: string
  /** Overwrite the input instead (explicit opt-in). */
  inPlace?: boolean
  signal?: AbortSignal
}

export interface StampFileOutcome extends StampFileResult {
  /** Things the caller should know (development key, missing owner identity). */
  warnings: string[]
  /** Signed with the zero-configuration development key (labels verify as untrusted). */
  developmentKey: boolean
  /** The config file that was loaded, if any. */
  configPath?: string
}

function shown(abs: string, cwd: string): string {
  const rel = relative(cwd, abs)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs
}

/**
 * Stamps one file into `output` (written atomically), or in place with `inPlace: true`.
 * A file that already carries a Tanba label is copied unchanged (status "already-labelled")
 * unless `force` is set. Without a signer or key, the development key is used (see `warnings`).
 * Throws a TanbaError when the file cannot be stamped.
 */
export async function stampFile(input: string, options: StampFileOptions): Promise<StampFileOutcome> {
  const cwd = resolve(options.cwd ?? process.cwd())
  assertOutputChoice(options.output, options.inPlace, input)
  const abs = resolve(cwd, input)
  const output = options.inPlace ? abs : resolve(cwd, options.output!)
  if (!options.inPlace && output === abs) throw new InvalidOptionError(`The output path is the input ${input}; pass inPlace: true to overwrite it on purpose`, { details: { option: 'inPlace' } })
  const resolved = await resolveStampSettings({ ...options, cwd })
  const result = await runStampJob(
    { input: abs, output, file: shown(abs, cwd), skipExisting: false, fromWalk: false, inPlace: Boolean(options.inPlace) },
    resolved.settings,
    resolved.signer.signer,
    defaultRegistry(),
    options.signal,
  )
  return { ...result, warnings: resolved.warnings, developmentKey: resolved.signer.development, ...(resolved.configPath ? { configPath: resolved.configPath } : {}) }
}

export interface VerifyFileOptions extends Omit<VerifySettingsInput, 'trust'> {
  /** Trust files (PEM roots or public keys, JWKS), or a ready TrustStore. */
  trust?: string[] | TrustStore
  signal?: AbortSignal
}

/** Verifies one file. Read errors give a report with status "error". */
export async function verifyFile(path: string, options: VerifyFileOptions = {}): Promise<VerificationReport> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const { trust, ...rest } = options
  const resolved = await resolveVerifySettings({ ...rest, ...(Array.isArray(trust) ? { trust } : {}), cwd })
  const abs = resolve(cwd, path)
  const outcome = await runVerifyJob({ input: abs, file: shown(abs, cwd), fromWalk: false }, resolved.settings, trust && !Array.isArray(trust) ? trust : resolved.trust, defaultRegistry(), options.signal)
  // A file named directly is never skipped (only files found by walking a folder are).
  if (outcome.status === 'skipped') throw new Error(`${path} was skipped: ${outcome.reason}`)
  return outcome.report
}

export interface InspectFileOptions {
  cwd?: string
  c2pa?: boolean
  signal?: AbortSignal
}

/** Lists every AI-disclosure marker and field in a file. Throws a TanbaError when it cannot be read. */
export async function inspectFile(path: string, options: InspectFileOptions = {}): Promise<InspectReport> {
  const cwd = resolve(options.cwd ?? process.cwd())
  const abs = resolve(cwd, path)
  return runInspectJob(abs, shown(abs, cwd), { ...(options.c2pa !== undefined ? { c2pa: options.c2pa } : {}), ...(options.signal ? { signal: options.signal } : {}) })
}

export interface KeygenOptions extends GenerateCredentialsOptions {
  /** Replace existing files in the folder. */
  overwrite?: boolean
}

export interface KeygenResult {
  dir: string
  /** The root certificate: give it to verifiers (their trust store). */
  caPath: string
  /** The signing certificate followed by its chain. */
  chainPath: string
  /** The private key, readable only by its owner (mode 0600). */
  keyPath: string
  /** Subject of the signing certificate. */
  subject: string
}

/**
 * Makes a private CA and an ES256 signing certificate (usable for Tanba labels and C2PA) and
 * writes ca.pem, signer.pem and signer.key into `dir`. The CA's own key is not kept.
 * For production, have a real certificate authority issue the signing certificate.
 */
export async function writeSigningCredentials(dir: string, options: KeygenOptions = {}): Promise<KeygenResult> {
  const out = resolve(dir)
  const caPath = join(out, 'ca.pem')
  const chainPath = join(out, 'signer.pem')
  const keyPath = join(out, 'signer.key')
  if (!options.overwrite) {
    for (const path of [caPath, chainPath, keyPath]) {
      if (await stat(path).then(() => true, () => false)) throw new InvalidOptionError(`${path} already exists; choose another folder or pass --force to replace the keys there`, { details: { option: 'overwrite' } })
    }
  }
  const { overwrite: _overwrite, ...generate } = options
  const creds = await generateSigningCredentials({ commonName: 'Tanba signer', ...generate })
  await mkdir(out, { recursive: true })
  await writeFileAtomic(keyPath, creds.privateKeyPem, { mode: 0o600 })
  await chmod(keyPath, 0o600)
  await writeFileAtomic(chainPath, creds.chainPem, { mode: 0o644 })
  await writeFileAtomic(caPath, creds.caCertificatePem, { mode: 0o644 })
  return { dir: out, caPath, chainPath, keyPath, subject: creds.subject }
}

/** Makes sure the development key exists and returns where it is (for messages); never the key. */
export async function developmentKeyInfo(): Promise<{ dir: string; caPath: string; created: boolean; warning: string }> {
  const dev = await developmentCredentials()
  return { dir: dev.dir, caPath: dev.caPath, created: dev.created, warning: dev.warning }
}
