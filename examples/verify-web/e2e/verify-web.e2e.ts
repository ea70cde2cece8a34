// End-to-end: build the page, serve it on 127.0.0.1 with Vite's static server, and drive it in
// Debian's headless Chromium with playwright-core. Files are stamped by the SDK first; the test
// checks the verdicts shown, the language switch, keyboard use and accessibility hooks, that no
// request carries file bytes, and writes screenshots to out/e2e/.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type FileChooser, type Page, type Request } from 'playwright-core'
import { build, preview, type PreviewServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeFixtures, REPO, type FixtureSet } from '../test/fixtures.js'
import { CHROMIUM_ARGS, ensureChromium } from './chromium.js'

const ROOT = join(REPO, 'examples', 'verify-web')
const OUT = join(REPO, 'out', 'e2e')
const executablePath = ensureChromium()

let set: FixtureSet
let server: PreviewServer
let origin: string
let context: BrowserContext
let page: Page
let profileDir: string
const requests: { url: string; method: string; body: Buffer | null }[] = []
const blocked: string[] = []
const choosers: FileChooser[] = []

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
}

/** The article showing one file's result. */
const card = (file: string) => page.locator(`article[data-file="${file}"]`)

async function waitForChecked(n: number): Promise<void> {
  await expect.poll(() => page.locator('article.check').count(), { timeout: 60_000 }).toBe(n)
  await page.waitForFunction(() => !/…/.test(document.getElementById('status')?.textContent ?? '…'), null, { timeout: 60_000 })
}

describe.skipIf(!executablePath)('verify-web in headless Chromium', () => {
  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true })
    await mkdir(OUT, { recursive: true })
    set = await makeFixtures(join(OUT, 'files'))
    await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' })
    server = await preview({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } })
    origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    profileDir = await mkdtemp(join(tmpdir(), 'tanba-chromium-'))
    context = await chromium.launchPersistentContext(profileDir, { executablePath: executablePath!, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1100, height: 900 } })
    // Record every request; anything not for the page's own origin is refused and remembered.
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(`${origin}/`) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue()
      blocked.push(url)
      return route.abort()
    })
    context.on('request', (r: Request) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }))
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(15_000)
    // Listening from the start turns on file chooser interception before any key is pressed.
    page.on('filechooser', (c) => choosers.push(c))
    page.on('pageerror', (e) => console.error('page error:', e))
    await page.goto(`${origin}/?lang=en`)
  }, 20 * 60_000)

  afterAll(async () => {
    await context?.close()
    await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()))
    if (profileDir) await rm(profileDir, { recursive: true, force: true })
  })

  it('starts in English with labelled controls and a live status region', async () => {
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en')
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check AI labels')
    expect(await page.getByLabel('Rules to check against').inputValue()).toBe('kz')
    expect(await page.getByLabel('Trusted certificates or keys (optional)').count()).toBe(1)
    const status = page.locator('#status')
    expect(await status.getAttribute('role')).toBe('status')
    expect(await status.getAttribute('aria-live')).toBe('polite')
    expect(await status.textContent()).toBe('No files checked yet.')
  })

  it('opens the file picker from the keyboard and checks every file in the browser', async () => {
    // Tab from the top of the page to the drop zone (a role=button), then Enter opens the picker.
    await page.locator('body').focus()
    let onDrop = false
    for (let i = 0; i < 15 && !onDrop; i++) {
      await page.keyboard.press('Tab')
      onDrop = await page.evaluate(() => document.activeElement?.id === 'drop')
    }
    expect(onDrop).toBe(true)
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)
    expect(outline).not.toBe('none') // focus is visible
    await shot('01-focus-drop-zone')
    await page.keyboard.press('Enter')
    await expect.poll(() => choosers.length).toBe(1)
    const chooser = choosers[0]!
    expect(chooser.isMultiple()).toBe(true)
    await chooser.setFiles(set.expected.map((e) => join(set.dir, e.file)))
    await waitForChecked(set.expected.length)
    await shot('02-results-en')

    for (const e of set.expected) {
      const c = card(e.file)
      const verdict = e.labelChecked === false ? 'not-checked' : e.status
      expect.soft(await c.getAttribute('data-verdict'), e.file).toBe(verdict)
      const ai = await c.locator('[data-testid="ai"]').textContent()
      expect.soft(ai?.startsWith('Yes'), `${e.file}: ${ai}`).toBe(e.aiMarked)
    }
    expect(await card('photo-labelled.png').locator('[data-testid="verdict"]').textContent()).toContain('Tanba label intact')
    expect(await card('photo-labelled.png').locator('[data-testid="ai"]').textContent()).toBe('Yes, by: Tanba label, IPTC digital source type, TC260 AIGC (China), C2PA')
    expect(await card('photo-labelled.png').locator('[data-testid="signer"]').textContent()).toMatch(/^Tanba Example Signer, Tanba Example Newsroom, KZ — not trusted/)
    expect(await card('photo-labelled.png').locator('[data-testid="profile"]').getAttribute('data-pass')).toBe('true')
    expect(await card('photo-tampered.jpg').locator('[data-testid="label"]').textContent()).toContain('the content was changed after labelling')
    expect(await card('story-tampered.txt').locator('[data-testid="label"]').textContent()).toContain('the content was changed after labelling')
    expect(await card('photo-plain.png').locator('[data-testid="ai"]').textContent()).toBe('No AI marker found')
    // Metadata stripped by a re-encode: the page's canvas decoder finds the invisible watermark.
    if (set.expected.some((e) => e.file === 'photo-stripped.jpg')) {
      expect(await card('photo-stripped.jpg').locator('[data-testid="ai"]').textContent()).toBe('Yes, by: invisible watermark')
    }
    expect(await card('comfyui.png').locator('[data-testid="ai"]').textContent()).toBe('Yes, by: ComfyUI workflow')
    // What the page could not check is said plainly.
    expect(await card('report-labelled.pdf').locator('[data-testid="unchecked"]').textContent()).toContain('tanba verify file.pdf')
    expect(await card('photo-labelled.png').locator('[data-testid="unchecked"]').textContent()).toContain('no trusted certificates')
    expect(await page.locator('#status').textContent()).toMatch(/^\d+ file\(s\) checked: /)
  })

  it('reads C2PA manifests with the WebAssembly reader served by the page itself', async () => {
    const jpeg = await card('photo-labelled.jpg').locator('[data-testid="c2pa"]').textContent()
    expect(jpeg).toMatch(/^C2PA manifest by Tanba.*signed by Tanba Example Signer; digital source type trainedAlgorithmicMedia; intact, signer not trusted$/)
    expect(await card('photo-tampered.jpg').locator('[data-testid="c2pa"]').textContent()).toMatch(/broken \(.*assertion\.dataHash\.mismatch/)
    expect(requests.some((r) => r.url.startsWith(`${origin}/assets/`) && r.url.endsWith('.wasm'))).toBe(true)
    if (set.expected.some((e) => e.file === 'third-party-c2pa.jpg')) {
      console.log('third-party C2PA:', await card('third-party-c2pa.jpg').locator('[data-testid="c2pa"]').textContent())
      expect(await card('third-party-c2pa.jpg').locator('[data-testid="c2pa"]').textContent()).toMatch(/^C2PA manifest/)
    }
    const details = card('photo-labelled.jpg').locator('details')
    await details.locator('summary').click()
    expect(await details.locator('tr', { hasText: 'c2pa' }).first().textContent()).toContain('intact')
    await shot('03-details')
  })

  it('trusts a signer once its CA certificate is given', async () => {
    await page.getByLabel('Trusted certificates or keys (optional)').setInputFiles(join(set.dir, 'ca.pem'))
    await expect.poll(() => card('photo-labelled.png').locator('[data-testid="signer"]').textContent(), { timeout: 60_000 }).toBe('Tanba Example Signer, Tanba Example Newsroom, KZ — trusted')
    await waitForChecked(set.expected.length)
    expect(await card('photo-labelled.png').locator('[data-testid="unchecked"]').count()).toBe(0)
    expect(await page.locator('#trust-state').textContent()).toBe('Trust files: ca.pem')
  })

  it('evaluates the chosen profile', async () => {
    await page.getByLabel('Rules to check against').selectOption('cn')
    await expect.poll(() => card('photo-labelled.png').locator('[data-testid="profile"]').getAttribute('data-pass'), { timeout: 60_000 }).toBe('false')
    expect(await card('photo-labelled.png').locator('[data-testid="profile"]').textContent()).toContain('no notice in Chinese')
    await shot('04-profile-cn')
    await page.getByLabel('Rules to check against').selectOption('kz')
    await expect.poll(() => card('photo-labelled.png').locator('[data-testid="profile"]').getAttribute('data-pass'), { timeout: 60_000 }).toBe('true')
  })

  it('switches to Kazakh and Russian from the keyboard', async () => {
    await page.locator('button[data-lang="kk"]').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('kk')
    expect(await page.locator('h1').textContent()).toBe('ЖИ белгілерін тексеру')
    expect(await page.locator('button[data-lang="kk"]').getAttribute('aria-pressed')).toBe('true')
    expect(await card('photo-labelled.png').locator('[data-testid="verdict"]').textContent()).toContain('Tanba белгісі бүтін')
    expect(await card('photo-tampered.jpg').locator('[data-testid="label"]').textContent()).toContain('мазмұн белгіленгеннен кейін өзгертілген')
    expect(await page.locator('#status').textContent()).toMatch(/файл тексерілді/)
    await shot('05-results-kk')
    await page.locator('button[data-lang="ru"]').click()
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('ru')
    expect(await page.locator('h1').textContent()).toBe('Проверка меток ИИ')
    expect(await card('photo-plain.png').locator('[data-testid="verdict"]').textContent()).toContain('Метки Tanba нет')
    await shot('06-results-ru')
    await page.locator('button[data-lang="en"]').click()
  })

  it('takes dropped files, and clears the results', async () => {
    await page.getByRole('button', { name: 'Clear results' }).click()
    await expect.poll(() => page.locator('article.check').count()).toBe(0)
    expect(await page.locator('#status').textContent()).toBe('No files checked yet.')
    const dropped = await page.evaluateHandle(() => {
      const data = new DataTransfer()
      data.items.add(new File(['A note written by a person.\n'], 'dropped-note.txt', { type: 'text/plain' }))
      return data
    })
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dropped })
    await waitForChecked(1)
    expect(await card('dropped-note.txt').getAttribute('data-verdict')).toBe('unlabelled')
    expect(await page.locator('#status').textContent()).toBe('1 file(s) checked: 0 with an intact Tanba label, 0 with a broken label, 1 without a Tanba label, 0 not fully checked, 0 unreadable.')
  })

  it('never sent file bytes anywhere: only GET requests to its own origin', async () => {
    expect(blocked).toEqual([])
    expect(requests.length).toBeGreaterThan(0)
    for (const r of requests) {
      expect.soft(r.method, r.url).toBe('GET')
      expect.soft(r.body, r.url).toBeNull()
      expect.soft(r.url.startsWith(`${origin}/`) || r.url.startsWith('blob:') || r.url.startsWith('data:'), r.url).toBe(true)
    }
    // No URL carries a file name or a piece of a file.
    const probe = (await readFile(join(set.dir, 'story-labelled.txt'), 'utf8')).slice(0, 24)
    for (const r of requests) {
      for (const e of set.expected) expect.soft(decodeURIComponent(r.url)).not.toContain(e.file)
      expect.soft(decodeURIComponent(r.url)).not.toContain(probe)
    }
  })
})
