// tanba.config.json: the owner identity, the AI system, keys and defaults, so a publisher does not repeat flags.
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { InvalidOptionError, PROFILE_IDS, type AiSystem, type Distributor, type Origin, type Party, type ProfileId } from '@tanba/core'

export const CONFIG_FILE = 'tanba.config.json'

export interface TanbaConfig {
  /** The owner or holder of the AI system (the party the Kazakh law holds responsible). */
  owner?: Party
  /** The AI system that makes the content. */
  system?: AiSystem
  distributor?: Distributor
  /** Signing key and certificate chain (paths relative to the config file). Never the key itself. */
  keys?: { key?: string; cert?: string }
  /** Trust files for `verify`: PEM roots or public keys, or JWKS (paths relative to the config file). */
  trust?: string[]
  /** Jurisdiction profiles (default ["kz"]). */
  profiles?: ProfileId[]
  defaults?: ConfigDefaults
}

export interface ConfigDefaults {
  origin?: Origin
  /** Notice languages, replacing the profiles' languages. */
  languages?: string[]
  /** Notice languages added to the profiles' languages. */
  addLanguages?: string[]
  /** Notice text override: one text for every language, or per language. */
  notice?: string | Record<string, string>
  /** Apply the perceivable notice (default true). */
  visible?: boolean
  placement?: NoticePlacement
  /** C2PA manifests: true or "preferred" (default), "required", or false. */
  c2pa?: boolean | 'required' | 'preferred'
  concurrency?: number
  requireTrusted?: boolean
}

export type NoticePlacement = 'start' | 'end' | 'both' | 'top' | 'bottom' | 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'
export const PLACEMENTS: readonly NoticePlacement[] = ['start', 'end', 'both', 'top', 'bottom', 'top-left', 'top-right', 'bottom-left', 'bottom-right']

export interface LoadedConfig {
  config: TanbaConfig
  /** Absolute path of the file it came from. */
  path: string
}

/**
 * Loads and validates a config file. With no path, looks for tanba.config.json in `cwd`
 * and returns null when there is none. Paths inside are made absolute.
 */
export async function loadConfig(path?: string, options: { cwd?: string } = {}): Promise<LoadedConfig | null> {
  const cwd = options.cwd ?? process.cwd()
  const file = resolve(cwd, path ?? CONFIG_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (!path && code === 'ENOENT') return null
    throw new InvalidOptionError(`Could not read the config file ${file}: ${code ?? (cause as Error).message}`, { cause })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new InvalidOptionError(`The config file ${file} is not valid JSON: ${(cause as Error).message}`, { cause })
  }
  const config = validateConfig(value, file)
  return { config: resolveConfigPaths(config, dirname(file)), path: file }
}

/** Makes the key and trust paths of a config absolute, relative to `base`. */
export function resolveConfigPaths(config: TanbaConfig, base: string): TanbaConfig {
  const out = { ...config }
  if (config.keys) {
    out.keys = {
      ...(config.keys.key ? { key: resolve(base, config.keys.key) } : {}),
      ...(config.keys.cert ? { cert: resolve(base, config.keys.cert) } : {}),
    }
  }
  if (config.trust) out.trust = config.trust.map((p) => resolve(base, p))
  return out
}

type Check = (value: unknown, at: string, problems: string[]) => void

const str: Check = (v, at, p) => {
  if (typeof v !== 'string' || v.trim() === '') p.push(`${at} must be a non-empty string`)
}
const bool: Check = (v, at, p) => {
  if (typeof v !== 'boolean') p.push(`${at} must be true or false`)
}
const strList: Check = (v, at, p) => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) p.push(`${at} must be a list of non-empty strings`)
}
const oneOf =
  (values: readonly string[]): Check =>
  (v, at, p) => {
    if (typeof v !== 'string' || !values.includes(v)) p.push(`${at} must be one of ${values.map((x) => JSON.stringify(x)).join(', ')} (found ${JSON.stringify(v)})`)
  }
const object =
  (shape: Record<string, Check>, required: string[] = []): Check =>
  (v, at, p) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      p.push(`${at} must be an object`)
      return
    }
    for (const key of required) if (!(key in v)) p.push(`${at}.${key} is required`)
    for (const [key, value] of Object.entries(v)) {
      const check = shape[key]
      if (!check) {
        if (key === '$schema' && at === 'config') continue
        p.push(`${at}.${key} is not a known setting (expected one of ${Object.keys(shape).join(', ')})`)
        continue
      }
      check(value, `${at}.${key}`, p)
    }
  }

const party = object({ name: str, id: str, country: str, contact: str }, ['name'])
const CONFIG_SHAPE = object({
  owner: party,
  system: object({ name: str, version: str, model: str }, ['name']),
  distributor: object({ name: str, id: str }, ['name']),
  keys: object({ key: str, cert: str }),
  trust: strList,
  profiles: (v, at, p) => {
    strList(v, at, p)
    if (Array.isArray(v)) for (const id of v) if (typeof id === 'string' && !PROFILE_IDS.includes(id as ProfileId)) p.push(`${at} has unknown profile ${JSON.stringify(id)} (expected ${PROFILE_IDS.join(', ')})`)
  },
  defaults: object({
    origin: oneOf(['generated', 'modified']),
    languages: strList,
    addLanguages: strList,
    notice: (v, at, p) => {
      if (typeof v === 'string') return str(v, at, p)
      if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((t) => typeof t !== 'string' || !t.trim())) {
        p.push(`${at} must be a text, or an object mapping language codes to texts`)
      }
    },
    visible: bool,
    placement: oneOf(PLACEMENTS),
    c2pa: (v, at, p) => {
      if (typeof v !== 'boolean' && v !== 'required' && v !== 'preferred') p.push(`${at} must be true, false, "required" or "preferred"`)
    },
    concurrency: (v, at, p) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 64) p.push(`${at} must be a whole number from 1 to 64`)
    },
    requireTrusted: bool,
  }),
})

/** Validates a parsed config; throws InvalidOptionError listing every problem. */
export function validateConfig(value: unknown, source = CONFIG_FILE): TanbaConfig {
  const problems: string[] = []
  CONFIG_SHAPE(value, 'config', problems)
  if (problems.length) {
    throw new InvalidOptionError(`The config file ${source} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    })
  }
  const config = value as TanbaConfig & Record<string, unknown>
  if ('key' in (config.keys ?? {}) && /BEGIN [A-Z ]*PRIVATE KEY/.test(String(config.keys?.key))) {
    throw new InvalidOptionError(`The config file ${source} holds a private key in keys.key; put the key in its own file and give its path`)
  }
  const { $schema: _schema, ...rest } = config
  return rest as TanbaConfig
}
