// The binding-coverage matrix of docs/security.md ("Text, Markdown and HTML"), row by row: each
// attack changes what a real renderer shows (headless Chromium for HTML and plain text, markdown-it
// for Markdown) and must not verify as valid; each benign edit leaves the rendering alone and must.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { signLabel, type Label } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import MarkdownIt from 'markdown-it'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { labelWrapper, wrapperLabel } from '../src/carriers.js'
import { TEXT_BINDING_V1, digestTextV1 } from '../src/essence.js'
import { stampText, verifyText, type TextFormatId } from '../src/index.js'
import { fixture, stampOptions, withoutWrappers } from './helpers.js'

const run = promisify(execFile)
const CHROMIUM = '/usr/bin/chromium'
// The flags of examples/verify-web/e2e/chromium.ts, plus virtual time so a refresh can happen.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--virtual-time-budget=1500', '--dump-dom']
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the Chromium rows of binding-coverage.test.ts: ${CHROMIUM} is missing (apt-get install chromium)\n${'!'.repeat(78)}\n`)
const TIMEOUT = 240_000

let creds: TestCredentials
let dir: string
beforeAll(async () => {
  creds = await createTestCredentials()
  dir = mkdtempSync(join(tmpdir(), 'tanba-coverage-'))
  // What an attacker points a page to: another page, a stylesheet that hides the notice.
  writeFileSync(join(dir, 'human.html'), '<!doctype html><p>Written by a human.</p>')
  writeFileSync(join(dir, 'hide.css'), '.tanba-notice { display: none }')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let serial = 0
async function chromium(file: string): Promise<string> {
  const { stdout } = await run(CHROMIUM, [...CHROMIUM_ARGS, `file://${file}`], { timeout: 60_000, maxBuffer: 64 << 20 })
  return stdout
}

/** What Chromium shows for a page: mode, charset, base, title, whether the notice is displayed, the visible text, link targets. */
async function renderHtml(html: string): Promise<string> {
  // The same probe goes after both versions of a page, so a difference comes from the edit alone.
  const probe = `<script>addEventListener('load', () => { const n = document.querySelector('.tanba-notice'); const p = document.createElement('pre'); p.id = 'probe'; p.textContent = JSON.stringify({ mode: document.compatMode, charset: document.characterSet, base: document.baseURI.startsWith('file:') ? 'this file' : document.baseURI, title: document.title, notice: Boolean(n && n.getClientRects().length && getComputedStyle(n).visibility !== 'hidden'), text: document.body.innerText, links: [...document.links].map((a) => a.getAttribute('href') + ' -> ' + a.href.replace(/^.*\\//, '')) }); document.documentElement.append(p) })</script>`
  const file = join(dir, `page-${serial++}.html`)
  writeFileSync(file, Buffer.concat([Buffer.from(html, 'utf8'), Buffer.from(probe)]))
  const dom = await chromium(file)
  const m = /<pre id="probe">([^]*?)<\/pre>/.exec(dom)
  if (!m) return `navigated away: ${dom.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()}`
  return m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

/** What Chromium shows for a .txt file (its text/plain viewer). */
async function renderText(text: string): Promise<string> {
  const file = join(dir, `text-${serial++}.txt`)
  writeFileSync(file, text)
  return chromium(file)
}

const md = new MarkdownIt({ html: true, linkify: true })

interface Row {
  part: string
  edit: (stamped: string) => string
  /** Attack: rendering changes, verification must not be valid. Benign: rendering equal, verification valid. */
  benign?: boolean
}

async function stamp(source: string, format: TextFormatId): Promise<string> {
  return (await stampText(source, { ...stampOptions(creds), format })).text
}

async function status(text: string, format: TextFormatId): Promise<string> {
  return (await verifyText(text, { format, trust: creds.trust })).status
}

function replaceOnce(s: string, from: string | RegExp, to: string): string {
  const out = s.replace(from, to)
  if (out === s) throw new Error(`edit did not apply: ${from}`)
  return out
}

const CRLF_AND_FINAL_NEWLINE = (s: string) => `${s.replace(/\r?\n/g, '\r\n')}\r\n`

const PAGE = `<!DOCTYPE html>
<html lang="kk">
<head>
<meta charset="utf-8">
<title>Жасанды интеллект</title>
<style>.aside { display: none }</style>
</head>
<body>
<p>Жасанды интеллект туралы заң <a href="law.html">күшіне енді</a>.</p>
<p class="aside">Бұл абзац жасырын.</p>
</body>
</html>
`

const HTML_ROWS: Row[] = [
  { part: 'meta http-equiv=refresh added', edit: (s) => replaceOnce(s, '<title>', '<meta http-equiv="refresh" content="0;url=human.html">\n<title>') },
  { part: "Tanba's AIGC meta given http-equiv=refresh", edit: (s) => replaceOnce(s, /<meta name="AIGC" content="[^"]*">/, '<meta name="AIGC" http-equiv="refresh" content="0;url=human.html">') },
  { part: 'meta charset changed', edit: (s) => replaceOnce(s, '<meta charset="utf-8">', '<meta charset="windows-1252">') },
  { part: 'meta http-equiv=content-type charset added', edit: (s) => replaceOnce(s, '<meta charset="utf-8">', '<meta http-equiv="content-type" content="text/html; charset=koi8-r">') },
  { part: 'base href added', edit: (s) => replaceOnce(s, '<title>', '<base href="https://example.invalid/other/">\n<title>') },
  { part: 'link rel=stylesheet added', edit: (s) => replaceOnce(s, '<title>', '<link rel="stylesheet" href="hide.css">\n<title>') },
  { part: 'style element edited', edit: (s) => replaceOnce(s, '.aside { display: none }', '.aside { display: block } .tanba-notice { display: none }') },
  { part: 'script added', edit: (s) => replaceOnce(s, '</head>', '<script>addEventListener("DOMContentLoaded", () => document.querySelector(".tanba-notice").remove())</script>\n</head>') },
  { part: 'title changed', edit: (s) => replaceOnce(s, '<title>Жасанды интеллект</title>', '<title>Written by a human</title>') },
  { part: 'hidden attribute added to the notice', edit: (s) => replaceOnce(s, '<p class="tanba-notice"', '<p hidden class="tanba-notice"') },
  { part: 'attribute value changed (link target)', edit: (s) => replaceOnce(s, 'href="law.html"', 'href="human.html"') },
  { part: 'comment opened around the notice', edit: (s) => replaceOnce(replaceOnce(s, '<p class="tanba-notice"', '<!--<p class="tanba-notice"'), '</p>\n<p>Жасанды', '</p>-->\n<p>Жасанды') },
  { part: 'doctype removed (quirks mode)', edit: (s) => replaceOnce(s, '<!DOCTYPE html>\n', '') },
  { part: 'selector run inserted into a class attribute', edit: (s) => replaceOnce(s, 'class="aside"', 'class="as\uFEFF\uFE01ide"') },
  { part: 'noscript added', edit: (s) => replaceOnce(s, '<body>', '<body>\n<noscript><p>Written by a human.</p></noscript>'), benign: false },
  { part: 'CR LF line ends and a final line break', edit: CRLF_AND_FINAL_NEWLINE, benign: true },
  { part: "Tanba's AIGC meta deleted with its line", edit: (s) => replaceOnce(s, /<meta name="AIGC" content="[^"]*">\n/, ''), benign: true },
]

describe.skipIf(!hasChromium)('HTML rows, rendered by headless Chromium', () => {
  it.each(HTML_ROWS)('$part', async (row) => {
    const stamped = await stamp(PAGE, 'html')
    expect(await status(stamped, 'html')).toBe('valid')
    const edited = row.edit(stamped)
    const [before, after] = [await renderHtml(stamped), await renderHtml(edited)]
    if (row.benign) {
      expect(after).toBe(before)
      expect(await status(edited, 'html')).toBe('valid')
    } else {
      // <noscript> shows nothing with scripting on; it is bound because a reader without scripts sees it.
      if (row.part !== 'noscript added') expect(after).not.toBe(before)
      expect(await status(edited, 'html')).not.toBe('valid')
    }
  }, TIMEOUT)

  it('a byte-order mark is bound in HTML: it overrides the declared charset', async () => {
    const page = `\uFEFF${PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')}`
    const stamped = await stamp(page, 'html')
    expect(await status(stamped, 'html')).toBe('valid')
    const edited = stamped.slice(1)
    expect(await renderHtml(edited)).not.toBe(await renderHtml(stamped))
    expect(await status(edited, 'html')).not.toBe('valid')
  }, TIMEOUT)
})

describe('HTML that declares another charset', () => {
  it('is refused when stamping (the notice would show as other characters) and fatal when verifying', async () => {
    for (const meta of ['<meta charset="windows-1252">', '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">']) {
      await expect(stamp(PAGE.replace('<meta charset="utf-8">', meta), 'html')).rejects.toMatchObject({ code: 'TANBA_MALFORMED_INPUT' })
    }
    const stamped = await stamp(PAGE, 'html')
    const report = await verifyText(stamped.replace('<meta charset="utf-8">', '<meta charset="windows-1252">'), { format: 'html', trust: creds.trust })
    expect(report.messages.find((m) => m.rule === 'html.charset-not-utf8')?.fatal).toBe(true)
  })
})

const TEXT = `${fixture('sample.txt').trimEnd()}\n`

const TEXT_ROWS: Row[] = [
  { part: 'a line of visible prose added at the start', edit: (s) => `Written by a human.\n${s}` },
  { part: 'zero-width space inserted', edit: (s) => replaceOnce(s, 'интеллект', 'интел\u200Bлект') },
  { part: 'right-to-left override inserted', edit: (s) => replaceOnce(s, 'интеллект', '\u202Eинтеллект\u202C') },
  { part: 'selector run inserted in the middle', edit: (s) => replaceOnce(s, 'интеллект', 'интел\uFEFF\uFE01лект') },
  { part: 'a line feed turned into a lone CR', edit: (s) => replaceOnce(s, '\n\n', '\r\n') },
  { part: 'byte-order mark added', edit: (s) => `\uFEFF${s}`, benign: true },
  { part: 'CR LF line ends and a final line break', edit: CRLF_AND_FINAL_NEWLINE, benign: true },
]

describe.skipIf(!hasChromium)('plain text rows, rendered by Chromium’s text viewer', () => {
  it.each(TEXT_ROWS)('$part', async (row) => {
    const stamped = await stamp(TEXT, 'text')
    const edited = row.edit(stamped)
    const [before, after] = [await renderText(stamped), await renderText(edited)]
    if (row.benign) {
      // The viewer drops a BOM and turns CR LF into LF; a final empty line is blank space, not text.
      const shown = (dom: string) => dom.replace(/\n+(<\/pre>)/, '$1')
      expect(shown(after)).toBe(shown(before))
      expect(await status(edited, 'text')).toBe('valid')
    } else {
      if (row.part !== 'selector run inserted in the middle') expect(after).not.toBe(before)
      expect(await status(edited, 'text')).not.toBe('valid')
    }
  }, TIMEOUT)
})

const MARKDOWN = `---
title: Жасанды интеллект
---

# Заң

Толығырақ [заң мәтіні][law] және <span class="note">ескерту</span>.

[law]: https://example.kz/сайт
`

const MARKDOWN_ROWS: Row[] = [
  { part: 'front matter replaced with visible prose', edit: (s) => replaceOnce(s, 'title: Жасанды интеллект\n', 'Written by a human\n') },
  { part: 'front matter key changed', edit: (s) => replaceOnce(s, 'title: Жасанды интеллект', 'title: Written by a human') },
  { part: 'front matter key added', edit: (s) => replaceOnce(s, '---\n', '---\nauthor: A human\n') },
  { part: 'HTML inside Markdown changed', edit: (s) => replaceOnce(s, '<span class="note">', '<span class="note" style="display:none">') },
  { part: 'link reference definition changed', edit: (s) => replaceOnce(s, 'https://example.kz/сайт', 'https://example.invalid/') },
  { part: 'selector run inserted into a link destination', edit: (s) => replaceOnce(s, 'example.kz/', 'example.kz/\uFEFF\uFE01') },
  { part: 'link destination re-normalised to NFD', edit: (s) => replaceOnce(s, 'https://example.kz/сайт', 'https://example.kz/сайт'.normalize('NFD')) },
  { part: 'CR LF line ends and a final line break', edit: CRLF_AND_FINAL_NEWLINE, benign: true },
]

describe('Markdown rows, rendered by markdown-it', () => {
  it.each(MARKDOWN_ROWS)('$part', async (row) => {
    const stamped = await stamp(MARKDOWN, 'markdown')
    expect(await status(stamped, 'markdown')).toBe('valid')
    const edited = row.edit(stamped)
    const shown = (s: string) => md.render(s)
    if (row.benign) {
      expect(shown(edited)).toBe(shown(stamped))
      expect(await status(edited, 'markdown')).toBe('valid')
    } else {
      expect(shown(edited)).not.toBe(shown(stamped))
      expect(await status(edited, 'markdown')).not.toBe('valid')
    }
  })

  it('a TOML front matter block is body text to Tanba, so it is bound', async () => {
    const stamped = await stamp(`+++\ntitle = "Заң"\n+++\n\nМәтін.\n`, 'markdown')
    const edited = replaceOnce(stamped, 'title = "Заң"', 'title = "Written by a human"')
    expect(md.render(edited)).not.toBe(md.render(stamped))
    expect(await status(edited, 'markdown')).toBe('invalid')
  })

  it("only Tanba's own front matter entries are outside the essence", async () => {
    const stamped = await stamp(MARKDOWN, 'markdown')
    // Stripping the wrapper keeps the front matter copy: still valid.
    expect(await status(withoutWrappers(stamped), 'markdown')).toBe('valid')
    // A line added next to Tanba's entries is bound like any other.
    const smuggled = replaceOnce(stamped, /\ntanba: '/, "\ntitle2: Written by a human\ntanba: '")
    expect(await status(smuggled, 'markdown')).toBe('invalid')
  })
})

describe('binding version 1 labels', () => {
  it('still verify, with a text.binding-v1 note that says what v1 leaves out', async () => {
    const stamped = await stamp(TEXT, 'text')
    const report = await verifyText(stamped, { trust: creds.trust })
    const label = report.label as Label
    const skeleton = withoutWrappers(stamped)
    const { sig: _sig, ...unsigned } = label
    const v1 = await signLabel({ ...unsigned, binding: { ...label.binding, method: TEXT_BINDING_V1, digest: await digestTextV1(skeleton) } }, creds.signer)
    const old = skeleton + labelWrapper(wrapperLabel(v1))
    const result = await verifyText(old, { trust: creds.trust })
    expect(result.status).toBe('valid')
    expect(result.binding?.method).toBe('tanba.text/1')
    expect(result.messages.find((m) => m.rule === 'text.binding-v1')?.fatal).toBe(false)
    // What v1 leaves out (a selector run mid-text) is exactly what the note warns about.
    expect((await verifyText(old.replace('интеллект', 'интел\uFEFF\uFE01лект'), { trust: creds.trust })).status).toBe('valid')
  })
})
