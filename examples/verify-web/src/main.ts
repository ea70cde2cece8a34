// The verification page: files are read with the File API and verified in this tab; nothing is
// sent anywhere. Every text that comes from a file is put into the page as text, never as HTML.
// @peculiar/x509 (inside @tanba/core) needs the Reflect metadata polyfill loaded first; core
// imports it, but bundlers drop that import because core declares "sideEffects": false.
import 'reflect-metadata'
import type { ProfileId, VerificationReport } from '@tanba/core'
import { c2paWebReader } from './c2pa-web.js'
import { aiStandards, checkFile, createBrowserRegistry, trustFromFiles, type FileCheck } from './engine.js'
import { LANGS, t, type Lang } from './i18n.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const registry = createBrowserRegistry({ decodePixels: canvasPixels })

/**
 * The browser's own image decoder for the watermark search: the first frame at full size, as RGBA
 * from a canvas. The adapter reduces it for the detector itself, by area averaging, because a
 * browser's own reduction (drawImage, createImageBitmap's resize) aliases the mark away.
 */
async function canvasPixels(bytes: Uint8Array, mediaType: string): Promise<{ data: Uint8Array; width: number; height: number; channels: 4 } | null> {
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: mediaType }))
  } catch {
    return null
  }
  const { width, height } = bitmap
  const canvas = new OffscreenCanvas(width, height)
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  if (!ctx) return null
  ctx.drawImage(bitmap, 0, 0)
  bitmap.close()
  const { data } = ctx.getImageData(0, 0, width, height)
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 }
}

const state: {
  lang: Lang
  profile: ProfileId
  files: { name: string; bytes: Uint8Array }[]
  checks: FileCheck[]
  trust?: Awaited<ReturnType<typeof trustFromFiles>>
  trustNames: string[]
  trustError?: string
  busy: number
  run: number
} = { lang: initialLang(), profile: 'kz', files: [], checks: [], trustNames: [], busy: 0, run: 0 }

function initialLang(): Lang {
  const saved = new URLSearchParams(location.search).get('lang') ?? localStorage.getItem('tanba-lang')
  if (saved === 'en' || saved === 'kk' || saved === 'ru') return saved
  const nav = navigator.language.slice(0, 2)
  return nav === 'kk' || nav === 'ru' ? nav : 'en'
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) if (v !== undefined) node.setAttribute(k, v)
  for (const c of children) if (c !== null && c !== undefined) node.append(c)
  return node
}

// ---- language -------------------------------------------------------------------------------

function renderLangButtons(): void {
  const group = $('lang-buttons')
  group.replaceChildren(
    ...LANGS.map((l) => {
      const b = el('button', { type: 'button', lang: l.id, 'aria-pressed': String(l.id === state.lang), 'data-lang': l.id }, l.name)
      b.addEventListener('click', () => setLang(l.id))
      return b
    }),
  )
}

function setLang(lang: Lang): void {
  state.lang = lang
  localStorage.setItem('tanba-lang', lang)
  applyTexts()
  renderLangButtons()
  ;(document.querySelector(`[data-lang="${lang}"]`) as HTMLElement | null)?.focus()
}

function applyTexts(): void {
  document.documentElement.lang = state.lang
  document.title = `Tanba — ${t(state.lang, 'title')}`
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) node.textContent = t(state.lang, node.dataset.i18n!)
  renderTrustState()
  renderResults()
  renderStatus()
}

// ---- settings -------------------------------------------------------------------------------

function renderTrustState(): void {
  const p = $('trust-state')
  p.textContent = state.trustError
    ? t(state.lang, 'trust.error', { message: state.trustError })
    : state.trustNames.length
      ? t(state.lang, 'trust.loaded', { names: state.trustNames.join(', ') })
      : ''
}

async function onTrustFiles(list: FileList | null): Promise<void> {
  const files = [...(list ?? [])]
  state.trustError = undefined
  try {
    state.trust = await trustFromFiles(await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() }))))
    state.trustNames = files.map((f) => f.name)
  } catch (error) {
    state.trust = undefined
    state.trustNames = []
    state.trustError = (error as Error).message
  }
  renderTrustState()
  await recheck()
}

// ---- checking -------------------------------------------------------------------------------

async function addFiles(list: FileList | File[] | null): Promise<void> {
  const files = [...(list ?? [])]
  if (!files.length) return
  for (const f of files) state.files.push({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })
  await recheck()
}

async function recheck(): Promise<void> {
  const run = ++state.run
  state.busy = state.files.length
  renderStatus()
  const checks: FileCheck[] = []
  for (const f of state.files) {
    const check = await checkFile(f.name, f.bytes, { profile: state.profile, c2pa: c2paWebReader, ...(state.trust ? { trust: state.trust.trust, trustPem: state.trust.pem } : {}) }, registry)
    if (run !== state.run) return // settings changed meanwhile: a newer run owns the page
    checks.push(check)
  }
  state.checks = checks
  state.busy = 0
  renderResults()
  renderStatus()
}

type Verdict = 'valid' | 'invalid' | 'unlabelled' | 'error' | 'not-checked'

function verdictOf(c: FileCheck): Verdict {
  if (c.report.status === 'error' || c.report.status === 'invalid' || c.report.status === 'valid') return c.report.status
  return c.labelChecked ? 'unlabelled' : 'not-checked'
}

function renderStatus(): void {
  const s = $('status')
  if (state.busy) {
    s.textContent = t(state.lang, 'status.checking', { n: state.busy })
    return
  }
  if (!state.checks.length) {
    s.textContent = t(state.lang, 'status.idle')
    return
  }
  const count = (v: Verdict) => state.checks.filter((c) => verdictOf(c) === v).length
  s.textContent = t(state.lang, 'status.done', {
    n: state.checks.length,
    valid: count('valid'),
    invalid: count('invalid'),
    unlabelled: count('unlabelled'),
    notChecked: count('not-checked'),
    error: count('error'),
  })
}

// ---- results --------------------------------------------------------------------------------

const ICONS: Record<Verdict, string> = { valid: '✔', invalid: '✖', unlabelled: '○', error: '!', 'not-checked': '?' }

function renderResults(): void {
  const root = $('results')
  root.replaceChildren(...state.checks.map((c, i) => renderCheck(c, i)))
}

function row(dl: HTMLElement, term: string, ...value: (Node | string)[]): void {
  dl.append(el('dt', {}, term), el('dd', {}, ...value))
}

function renderCheck(c: FileCheck, index: number): HTMLElement {
  const L = state.lang
  const r = c.report
  const verdict = verdictOf(c)
  const headingId = `file-${index}`
  const article = el('article', { class: `check verdict-${verdict}`, 'aria-labelledby': headingId, 'data-file': c.name, 'data-verdict': verdict })
  const heading = el('h3', { id: headingId }, c.name)
  const badge = el('p', { class: 'verdict', 'data-testid': 'verdict' }, el('span', { class: 'icon', 'aria-hidden': 'true' }, ICONS[verdict]), ' ', t(L, `verdict.${verdict}`))
  article.append(heading, badge)

  const dl = el('dl')
  row(dl, t(L, 'format'), `${r.format.toUpperCase()} · ${r.mediaType} · ${t(L, 'kb', { n: Math.max(1, Math.round(c.size / 1024)) })}`)
  if (r.status === 'error') {
    row(dl, t(L, 'error'), `${r.error?.code ?? ''}: ${r.error?.message ?? ''}`)
  } else {
    const standards = aiStandards(r.markers)
    const aiText = standards.length ? t(L, 'ai.yes', { list: standards.map((s) => t(L, `std.${s}`)).join(', ') }) : c.labelChecked ? t(L, 'ai.no') : t(L, 'label.not-checked')
    row(dl, t(L, 'ai'), el('span', { 'data-testid': 'ai' }, aiText))
    row(dl, t(L, 'label'), el('span', { 'data-testid': 'label' }, labelText(c)))
    if (r.label) {
      const owner = [r.label.owner?.name, r.label.owner?.id].filter(Boolean).join(', ')
      const system = [r.label.system?.name, r.label.system?.version, r.label.system?.model].filter(Boolean).join(' ')
      row(dl, t(L, 'system'), `${system} — ${owner}`)
    }
    if (r.signature) row(dl, t(L, 'signer'), el('span', { 'data-testid': 'signer' }, signerText(r)))
    for (const m of r.markers.filter((m) => m.standard === 'c2pa' && m.detail)) row(dl, 'C2PA', el('span', { 'data-testid': 'c2pa' }, m.detail!))
    const profile = c.labelChecked ? r.profiles[state.profile] : undefined
    if (!c.labelChecked) row(dl, t(L, 'rules', { profile: t(L, `profile.${state.profile}`) }), el('span', { 'data-testid': 'profile' }, t(L, 'label.not-checked')))
    if (profile) {
      row(
        dl,
        t(L, 'rules', { profile: t(L, `profile.${state.profile}`) }),
        el('span', { 'data-testid': 'profile', 'data-pass': String(profile.pass) }, profile.pass ? t(L, 'rules.pass') : t(L, 'rules.fail', { failures: profile.failures.map(failureText).join('; ') })),
      )
    }
  }
  if (c.unchecked.length) {
    const ul = el('ul', { class: 'unchecked', 'data-testid': 'unchecked' })
    for (const u of c.unchecked) ul.append(el('li', { 'data-what': u.what }, t(L, `unchecked.${u.what}`, { detail: u.detail ?? '' })))
    row(dl, t(L, 'unchecked'), ul)
  }
  article.append(dl)
  if (r.markers.length || r.messages.length) article.append(renderDetails(r))
  return article
}

function labelText(c: FileCheck): string {
  const L = state.lang
  const r = c.report
  if (!c.labelChecked && !r.label) return t(L, 'label.not-checked')
  if (r.status === 'valid') return t(L, 'label.intact')
  if (r.status === 'unlabelled') return t(L, 'label.absent')
  const reasons = new Set<string>()
  for (const m of r.messages.filter((m) => m.fatal)) {
    if (m.rule === 'signature.invalid') reasons.add('reason.signature')
    else if (m.rule === 'binding.mismatch' || m.rule === 'binding.uncomputable') reasons.add('reason.binding')
    else if (m.rule.endsWith('carriers-disagree')) reasons.add('reason.disagree')
    else if (m.rule === 'label.undecodable' || m.rule.startsWith('text.wrapper')) reasons.add('reason.undecodable')
    else if (m.rule === 'signature.untrusted') reasons.add('reason.untrusted')
    else reasons.add('reason.other')
  }
  if (!reasons.size) reasons.add('reason.other')
  return t(L, 'label.broken', { reasons: [...reasons].map((k) => t(L, k)).join('; ') })
}

function signerText(r: VerificationReport): string {
  const L = state.lang
  const s = r.signature!
  const who = s.signer?.subject ? readableName(s.signer.subject) : (s.signer?.kid ? t(L, 'signer.key', { kid: s.signer.kid }) : s.signer?.alg ?? '')
  const trust = !s.valid ? t(L, 'signer.invalid') : s.trusted ? t(L, 'signer.trusted') : t(L, 'signer.untrusted')
  return `${who} — ${trust}`
}

/** "CN=Acme Signer, O=Acme LLP, C=KZ" → "Acme Signer, Acme LLP, KZ" (the distinguished name's values). */
function readableName(dn: string): string {
  const parts = dn.split(/,\s*(?=[A-Za-z.\d]+=)/).map((p) => p.replace(/^[A-Za-z.\d]+=/, '').trim())
  return parts.filter(Boolean).join(', ') || dn
}

/** Core's profile failures are English sentences with a stable shape; the common ones are translated. */
function failureText(f: string): string {
  const L = state.lang
  let m: RegExpMatchArray | null
  if ((m = f.match(/^machine-readable: expected a valid (.+) marker$/))) return t(L, 'fail.machine', { standards: m[1]!.split(' or ').map((s) => t(L, `std.${s}`)).join(' / ') })
  if (f === 'notice: expected a perceivable notice') return t(L, 'fail.notice')
  if ((m = f.match(/^notice: expected the notice in language "(\w+)"$/))) return t(L, 'fail.lang', { lang: t(L, `lang.${m[1]}`) })
  if ((m = f.match(/^notice: expected one of (.+) in the notice text$/))) return t(L, 'fail.words', { words: m[1]! })
  if ((m = f.match(/^notice: expected text height at least ([\d.]+)% of the shortest side, found ([\d.]+)%$/))) return t(L, 'fail.height', { min: m[1]!, found: m[2]! })
  return f
}

function renderDetails(r: VerificationReport): HTMLElement {
  const L = state.lang
  const note = t(L, 'details.note')
  const details = el('details', {}, el('summary', {}, `${t(L, 'details')}${note ? ` ${note}` : ''}`))
  if (r.markers.length) {
    const table = el('table')
    table.append(el('thead', {}, el('tr', {}, ...['standard', 'carrier', 'state', 'detail'].map((h) => el('th', { scope: 'col' }, t(L, `th.${h}`))))))
    const body = el('tbody')
    for (const m of r.markers) {
      body.append(el('tr', {}, el('td', {}, m.standard), el('td', {}, m.carrier), el('td', {}, t(L, `state.${String(m.valid)}`)), el('td', {}, m.detail ?? (typeof m.value === 'string' ? m.value : ''))))
    }
    table.append(body)
    details.append(table)
  }
  if (r.messages.length) {
    details.append(el('h4', {}, t(L, 'findings')))
    const ul = el('ul', { class: 'messages' })
    for (const m of r.messages) ul.append(el('li', { class: m.fatal ? 'fatal' : '' }, el('code', {}, m.rule), ` ${m.reason}`))
    details.append(ul)
  }
  return details
}

// ---- wiring ---------------------------------------------------------------------------------

function setup(): void {
  renderLangButtons()
  applyTexts()
  const input = $<HTMLInputElement>('file-input')
  const drop = $('drop')
  input.addEventListener('change', () => {
    void addFiles(input.files).then(() => (input.value = ''))
  })
  drop.addEventListener('click', () => input.click())
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      input.click()
    }
  })
  for (const type of ['dragenter', 'dragover'] as const) {
    drop.addEventListener(type, (e) => {
      e.preventDefault()
      drop.classList.add('over')
    })
  }
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (e) => {
    e.preventDefault()
    drop.classList.remove('over')
    void addFiles(e.dataTransfer?.files ?? null)
  })
  // Files dropped outside the zone must not make the browser navigate away to them.
  window.addEventListener('dragover', (e) => e.preventDefault())
  window.addEventListener('drop', (e) => e.preventDefault())
  $<HTMLSelectElement>('profile').addEventListener('change', (e) => {
    state.profile = (e.target as HTMLSelectElement).value as ProfileId
    void recheck()
  })
  const trustInput = $<HTMLInputElement>('trust-input')
  trustInput.addEventListener('change', () => void onTrustFiles(trustInput.files))
  $('clear').addEventListener('click', () => {
    state.files = []
    state.checks = []
    state.run++
    state.busy = 0
    renderResults()
    renderStatus()
  })
}

setup()
