// Turns what a caller (or the CLI) asked for, a config file and the defaults into one set of settings.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import {
  createTsaClient,
  InvalidOptionError,
  PROFILE_IDS,
  resolveNotice,
  TrustStore,
  type AiSystem,
  type Distributor,
  type Limits,
  type NoticeOptions,
  type Origin,
  type Party,
  type ProfileId,
  type PromptInfo,
  type Signer,
  type StampOptions,
} from '@tanba/core'
import { developmentCredentials, loadPemSigner } from '@tanba/core/node'
import { loadConfig, resolveConfigPaths, validateConfig, type LoadedConfig, type TanbaConfig } from './config.js'

/** Used when neither the options nor a config file name the AI system or its owner. */
export const UNSPECIFIED_SYSTEM = 'Unspecified AI system'
export const UNSPECIFIED_OWNER = 'Unspecified owner'

export interface ConfigSource {
  /**
   * A tanba.config.json path, a config object, or false for none.
   * Default: tanba.config.json in `cwd` when it exists.
   */
  config?: string | TanbaConfig | false
  /** Base for relative paths (default process.cwd()). */
  cwd?: string
}

export interface SignerSource {
  /** A ready signer (a KMS or HSM callback signer, or createPemSigner). Wins over key/cert. */
  signer?: Signer
  /** Path of a PKCS#8 PEM private key. */
  key?: string
  /** Path of its certificate chain PEM, leaf first (needed for C2PA and X.509 trust). */
  cert?: string
}

export interface StampSettingsInput extends ConfigSource, SignerSource {
  origin?: Origin
  system?: Partial<AiSystem>
  owner?: Partial<Party>
  distributor?: Distributor
  prompt?: PromptInfo
  profiles?: ProfileId[]
  notice?: NoticeOptions
  /** C2PA manifests: 'preferred' (default, or true), 'required' (fail when one cannot be written), false. */
  c2pa?: StampOptions['c2pa']
  limits?: Partial<Limits>
  adapterOptions?: Record<string, unknown>
  /** Replace an existing Tanba label instead of keeping the input as it is. */
  force?: boolean
  /** URL of an RFC 3161 time-stamping authority: every label then carries a time-stamp over its signature. */
  tsa?: string
}

/** Stamp settings without the signer: plain data, safe to send to a worker thread. */
export type StampSettings = Omit<StampOptions, 'signer' | 'signal'> & { force: boolean }

export interface ResolvedSigner {
  signer: Signer
  /** True for the zero-configuration development key (labels verify as untrusted). */
  development: boolean
  /** Where the key came from, for messages (never the key itself). */
  source: string
  warning?: string
}

export interface ResolvedStamp {
  settings: StampSettings
  signer: ResolvedSigner
  /** Things the user should know (development key, missing owner identity). */
  warnings: string[]
  configPath?: string
  /** Concurrency from the config file, when set there. */
  concurrency?: number
}

export interface VerifySettingsInput extends ConfigSource {
  /** Trust files: PEM roots or public keys, or JWKS documents. Default: the config file's `trust`. */
  trust?: string[]
  /** PEM roots of trusted RFC 3161 time-stamping authorities (only for time-stamps, never for signers). */
  tsaTrust?: string[]
  profiles?: ProfileId[]
  c2pa?: boolean
  requireTrusted?: boolean
  limits?: Partial<Limits>
  adapterOptions?: Record<string, unknown>
}

/** Verify settings as plain data (trust as file contents), safe to send to a worker thread. */
export interface VerifySettings {
  profiles?: ProfileId[]
  c2pa: boolean
  requireTrusted: boolean
  limits?: Partial<Limits>
  adapterOptions?: Record<string, unknown>
  /** Contents of the trust files. */
  trustTexts: string[]
  /** Contents of the time-stamping authority trust files. */
  tsaTrustTexts?: string[]
}

export interface ResolvedVerify {
  settings: VerifySettings
  trust: TrustStore
  warnings: string[]
  configPath?: string
  concurrency?: number
}

export async function readConfigSource(source: ConfigSource): Promise<LoadedConfig | null> {
  const cwd = source.cwd ?? process.cwd()
  if (source.config === false) return null
  if (typeof source.config === 'object' && source.config !== null) {
    // An object given in code: validated like a file; relative paths in it are relative to cwd.
    return { config: resolveConfigPaths(validateConfig(source.config, 'options.config'), cwd), path: '(options.config)' }
  }
  return loadConfig(source.config, { cwd })
}

/** The signer to use: an explicit signer, a key file, or the development key (with a warning). */
export async function resolveSigner(source: SignerSource, config?: TanbaConfig): Promise<ResolvedSigner> {
  if (source.signer) return { signer: source.signer, development: false, source: 'signer option' }
  const key = source.key ?? (source.cert ? undefined : config?.keys?.key)
  const cert = source.cert ?? (source.key ? undefined : config?.keys?.cert)
  if (cert && !key) throw new InvalidOptionError(`A certificate (${cert}) was given without its private key: pass --key as well`, { details: { option: 'key' } })
  if (key) return { signer: await loadPemSigner(key, cert), development: false, source: key }
  const dev = await developmentCredentials()
  return { signer: dev.signer, development: true, source: dev.keyPath, warning: dev.warning }
}

function checkProfiles(profiles: unknown[] | undefined, where: string): void {
  for (const p of profiles ?? []) {
    if (!PROFILE_IDS.includes(p as ProfileId)) throw new InvalidOptionError(`Unknown profile ${JSON.stringify(p)} in ${where}: expected ${PROFILE_IDS.join(', ')}`, { details: { option: 'profiles' } })
  }
}

/** Merges options, config file and defaults for stamping; validates them once, before any file is touched. */
export async function resolveStampSettings(input: StampSettingsInput = {}): Promise<ResolvedStamp> {
  const loaded = await readConfigSource(input)
  const config = loaded?.config ?? {}
  const d = config.defaults ?? {}
  const warnings: string[] = []
  checkProfiles(input.profiles, 'the options')
  const origin = input.origin ?? d.origin ?? 'generated'
  if (origin !== 'generated' && origin !== 'modified') throw new InvalidOptionError(`Expected origin "generated" or "modified" but received ${JSON.stringify(origin)}`, { details: { option: 'origin' } })
  const profiles = input.profiles?.length ? input.profiles : config.profiles?.length ? config.profiles : (['kz'] as ProfileId[])
  const system = { ...config.system, ...stripEmpty(input.system ?? {}) } as Partial<AiSystem>
  const owner = { ...config.owner, ...stripEmpty(input.owner ?? {}) } as Partial<Party>
  if (!system.name) {
    system.name = UNSPECIFIED_SYSTEM
    warnings.push(`No AI system named: the labels say "${UNSPECIFIED_SYSTEM}". Pass --generator (and --model), or set system.name in tanba.config.json.`)
  }
  if (!owner.name) {
    owner.name = UNSPECIFIED_OWNER
    warnings.push(`No owner identity given: the labels say "${UNSPECIFIED_OWNER}". Pass --owner and --owner-id, or set owner in tanba.config.json; the law holds the owner or holder of the AI system responsible.`)
  }
  const fromConfig: NoticeOptions = {
    ...(d.visible !== undefined ? { visible: d.visible } : {}),
    ...(d.languages ? { languages: d.languages } : {}),
    ...(d.addLanguages ? { addLanguages: d.addLanguages } : {}),
    ...(d.notice ? { text: d.notice } : {}),
    ...(d.placement ? { placement: d.placement } : {}),
  }
  const notice: NoticeOptions = { ...fromConfig, ...stripEmpty(input.notice ?? {}) }
  // Fails now, with one clear message, rather than once per file.
  resolveNotice(origin, profiles, notice)
  const signer = await resolveSigner(input, config)
  if (signer.warning) warnings.unshift(signer.warning)
  const distributor = input.distributor ?? config.distributor
  const settings: StampSettings = {
    origin,
    system: system as AiSystem,
    owner: owner as Party,
    ...(distributor ? { distributor } : {}),
    ...(input.prompt ? { prompt: input.prompt } : {}),
    profiles,
    notice,
    c2pa: input.c2pa ?? d.c2pa ?? true,
    ...(input.limits ? { limits: input.limits } : {}),
    ...(input.adapterOptions ? { adapterOptions: input.adapterOptions } : {}),
    force: Boolean(input.force),
    ...(input.tsa ? { tsa: { url: input.tsa } } : {}),
  }
  // A bad TSA URL fails now, before any file is read.
  if (input.tsa) createTsaClient({ url: input.tsa })
  return {
    settings,
    signer,
    warnings,
    ...(loaded ? { configPath: loaded.path } : {}),
    ...(d.concurrency ? { concurrency: d.concurrency } : {}),
  }
}

/** Merges options, config file and defaults for verifying, and reads the trust files. */
export async function resolveVerifySettings(input: VerifySettingsInput = {}): Promise<ResolvedVerify> {
  const loaded = await readConfigSource(input)
  const config = loaded?.config ?? {}
  checkProfiles(input.profiles, 'the options')
  const cwd = input.cwd ?? process.cwd()
  const paths = input.trust?.length ? input.trust.map((p) => resolve(cwd, p)) : (config.trust ?? [])
  const trustTexts: string[] = []
  for (const path of paths) {
    try {
      trustTexts.push(await readFile(path, 'utf8'))
    } catch (cause) {
      throw new InvalidOptionError(`Could not read the trust file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
    }
  }
  const tsaPaths = (input.tsaTrust ?? []).map((p) => resolve(cwd, p))
  const tsaTrustTexts: string[] = []
  for (const path of tsaPaths) {
    try {
      tsaTrustTexts.push(await readFile(path, 'utf8'))
    } catch (cause) {
      throw new InvalidOptionError(`Could not read the TSA trust file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause })
    }
  }
  const trust = await buildTrustStore(trustTexts, paths, tsaTrustTexts, tsaPaths)
  const warnings: string[] = []
  if (trust.size === 0) warnings.push('No trust anchors given: valid signatures are reported as "untrusted". Pass --trust ca.pem (or set trust in tanba.config.json).')
  const profiles = input.profiles?.length ? input.profiles : config.profiles
  return {
    settings: {
      ...(profiles?.length ? { profiles } : {}),
      c2pa: input.c2pa ?? config.defaults?.c2pa !== false,
      requireTrusted: input.requireTrusted ?? config.defaults?.requireTrusted ?? false,
      ...(input.limits ? { limits: input.limits } : {}),
      ...(input.adapterOptions ? { adapterOptions: input.adapterOptions } : {}),
      trustTexts,
      ...(tsaTrustTexts.length ? { tsaTrustTexts } : {}),
    },
    trust,
    warnings,
    ...(loaded ? { configPath: loaded.path } : {}),
    ...(config.defaults?.concurrency ? { concurrency: config.defaults.concurrency } : {}),
  }
}

/**
 * A trust store from file contents: JSON is a JWK/JWKS, anything else PEM. The key of every
 * certificate given is trusted as well, so a pinned signing certificate (signer.pem) also
 * trusts compact labels that carry only the key and no chain (the text adapter's).
 */
export async function buildTrustStore(texts: string[], names: string[] = [], tsaTexts: string[] = [], tsaNames: string[] = []): Promise<TrustStore> {
  const store = new TrustStore()
  for (const [i, text] of texts.entries()) {
    try {
      if (text.trimStart().startsWith('{')) await store.addJwks(text)
      else {
        // Core trusts each certificate's own key as well, so signer.pem covers compact text labels.
        await store.addPem(text)
      }
    } catch (error) {
      const name = names[i] ?? `trust source ${i + 1}`
      if (error instanceof Error) error.message = `${name}: ${error.message}`
      throw error
    }
  }
  for (const [i, text] of tsaTexts.entries()) {
    try {
      await store.addTimestampAuthorities(text)
    } catch (error) {
      if (error instanceof Error) error.message = `${tsaNames[i] ?? `TSA trust source ${i + 1}`}: ${error.message}`
      throw error
    }
  }
  return store
}

function stripEmpty<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>
}
