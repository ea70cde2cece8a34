// @tanba/core/node: Node-only helpers (file system, configuration directory).
import { mkdir, readFile, rename, rm, chmod, open } from 'node:fs/promises'
import { join, dirname, basename } from 'node:path'
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writevSync } from 'node:fs'
import envPaths from 'env-paths'
import { generateSigningCredentials } from './crypto/certs.js'
import { createPemSigner, type Signer } from './crypto/signer.js'
import { TrustStore } from './crypto/trust.js'
import { InvalidKeyError, InvalidOptionError } from './errors.js'

export interface DevelopmentCredentials {
  signer: Signer
  dir: string
  caPath: string
  chainPath: string
  keyPath: string
  /** True when this call created the key (first use on this machine). */
  created: boolean
  warning: string
}

/** Where Tanba keeps per-user state (the development key). Honours TANBA_CONFIG_DIR. */
export function configDir(): string {
  return process.env.TANBA_CONFIG_DIR || envPaths('tanba', { suffix: '' }).config
}

/**
 * The zero-configuration signer: a development CA and ES256 leaf created once in the
 * user's configuration directory (never in a repository). Labels it signs verify as untrusted.
 */
export async function developmentCredentials(): Promise<DevelopmentCredentials> {
  const dir = join(configDir(), 'dev-key')
  const caPath = join(dir, 'ca.pem')
  const chainPath = join(dir, 'signer.pem')
  const keyPath = join(dir, 'signer.key')
  let created = false
  let key: string
  let chain: string
  try {
    ;[key, chain] = await Promise.all([readFile(keyPath, 'utf8'), readFile(chainPath, 'utf8')])
  } catch {
    const creds = await generateSigningCredentials({ commonName: 'Tanba development key (untrusted)', organization: 'Tanba development' })
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // Another process may be creating it at the same moment: write atomically, keep whichever wins.
    await writeFileAtomic(caPath, creds.caCertificatePem)
    await writeFileAtomic(chainPath, creds.chainPem)
    await writeFileAtomic(keyPath, creds.privateKeyPem, { mode: 0o600 })
    ;[key, chain] = await Promise.all([readFile(keyPath, 'utf8'), readFile(chainPath, 'utf8')])
    created = true
  }
  const signer = await createPemSigner({ privateKey: key, certificateChain: chain })
  return {
    signer,
    dir,
    caPath,
    chainPath,
    keyPath,
    created,
    warning: `Signing with the development key in ${dir}. Labels it signs verify as "untrusted". Run "tanba keygen" and pass --key/--cert (or a config file) for a real identity.`,
  }
}

/** A PEM signer from files: a PKCS#8 key and, optionally, its certificate chain. */
export async function loadPemSigner(keyPath: string, certPath?: string): Promise<Signer> {
  const key = await readText(keyPath, 'private key')
  if (/BEGIN CERTIFICATE/.test(key) && !/PRIVATE KEY/.test(key)) {
    throw new InvalidKeyError(`Expected a PEM private key in ${keyPath} but the file holds a certificate`)
  }
  const chain = certPath ? await readText(certPath, 'certificate chain') : undefined
  return createPemSigner({ privateKey: key, ...(chain ? { certificateChain: chain } : {}) })
}

/** A trust store from files: PEM (certificates, public keys) or JSON (JWK/JWKS), by content. */
export async function loadTrustStore(paths: string[]): Promise<TrustStore> {
  const store = new TrustStore()
  for (const path of paths) {
    const text = await readText(path, 'trust file')
    if (text.trimStart().startsWith('{')) await store.addJwks(text)
    else await store.addPem(text)
  }
  return store
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    throw new InvalidOptionError(`Could not read the ${what} file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
  }
}

/** What the atomic writers take: bytes, text (UTF-8), or pieces written in order without joining them. */
export type FileData = Uint8Array | string | readonly Uint8Array[]

function pieces(data: FileData): Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')]
  return (data instanceof Uint8Array ? [data] : [...data]).filter((p) => p.length > 0)
}

/** The pieces still to write after `written` bytes went out (a write may take less than asked). */
function remaining(list: Uint8Array[], written: number): Uint8Array[] {
  let i = 0
  while (i < list.length && written >= list[i]!.length) written -= list[i++]!.length
  const rest = list.slice(i)
  if (rest.length && written > 0) rest[0] = rest[0]!.subarray(written)
  return rest
}

/**
 * Writes a file atomically: a temporary file in the same folder, fsync, then rename.
 * A crash leaves the old file (or none), never a partial one.
 */
export async function writeFileAtomic(path: string, data: FileData, options: { mode?: number } = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tanba-tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  let handle
  try {
    handle = await open(tmp, 'wx', options.mode ?? 0o666)
    for (let rest = pieces(data); rest.length; ) rest = remaining(rest, (await handle.writev(rest)).bytesWritten)
    await handle.sync()
    await handle.close()
    handle = undefined
    if (options.mode !== undefined) await chmod(tmp, options.mode)
    await rename(tmp, path)
  } catch (error) {
    await handle?.close().catch(() => {})
    await rm(tmp, { force: true }).catch(() => {})
    throw error
  }
}

/**
 * `writeFileAtomic` with synchronous calls: for worker threads, where a file a few kilobytes long
 * costs more in thread-pool round trips (six of them) than in the writing itself.
 */
export function writeFileAtomicSync(path: string, data: FileData, options: { mode?: number } = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.tanba-tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  let fd: number | undefined
  try {
    fd = openSync(tmp, 'wx', options.mode ?? 0o666)
    for (let rest = pieces(data); rest.length; ) rest = remaining(rest, writevSync(fd, rest))
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    if (options.mode !== undefined) chmodSync(tmp, options.mode)
    renameSync(tmp, path)
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd)
      } catch {
        // already closed or never opened
      }
    }
    rmSync(tmp, { force: true })
    throw error
  }
}

