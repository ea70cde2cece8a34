import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { basename, join } from 'node:path'
import { ADAPTERS } from 'tanba'
import { ensureBuilt, hashTree, listFiles, ROOT, SGR, start, tanba, tempDir, type RunResult } from './helpers.js'

const work = tempDir()
const configDir = join(work, 'config')
const outputs: string[] = []
const kinds = new Set(ADAPTERS.map((a) => a.kind))

const KK_RU = 'Алматы — Қазақстанның ең үлкен қаласы. Таңертең күн шығып, тау етегіндегі алма бақтары жарқырады.\nАлматы — крупнейший город Казахстана. Утром над предгорьями взошло солнце.\n'
const MD = '---\ntitle: Жаңа мақала\ntags: [ai, demo]\n---\n\n# Жаңа мақала\n\nThis post was drafted by a language model and edited by a person. 🌄\n'
const ZH = '人工智能生成的短文：春天来了，山上的雪开始融化。\n'

async function run(args: string[], cwd = work, env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const r = await tanba(args, { cwd, configDir, env })
  outputs.push(r.stdout, r.stderr)
  return r
}

function write(path: string, content: string | Uint8Array): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, content)
  return path
}

/** A folder of real inputs: text always; a fixture per other adapter that exists. */
function makeInputs(dir: string): string[] {
  write(join(dir, 'story.txt'), KK_RU)
  write(join(dir, 'notes/post.md'), MD)
  write(join(dir, 'notes/deep/zh.txt'), ZH)
  for (const kind of ['image', 'pdf', 'audio']) {
    if (!kinds.has(kind as never)) continue
    const fixtureDir = join(ROOT, 'fixtures', kind)
    const first = existsSync(fixtureDir)
      ? readdirSync(fixtureDir)
          .filter((f) => !f.startsWith('.') && !f.endsWith('.md') && statSync(join(fixtureDir, f)).isFile())
          .sort()[0]
      : undefined
    if (first) copyFileSync(join(fixtureDir, first), write(join(dir, 'media', first), ''))
  }
  return listFiles(dir)
}

beforeAll(() => {
  ensureBuilt()
  mkdirSync(configDir, { recursive: true })
}, 600_000)

afterAll(() => {
  // Private keys never appear in any output or error message.
  const keys = [join(configDir, 'dev-key/signer.key'), join(work, 'keys/signer.key')].filter(existsSync)
  const bodies = keys.map((k) => readFileSync(k, 'utf8').replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''))
  const all = outputs.join('\n')
  expect(all).not.toMatch(/PRIVATE KEY/)
  for (const body of bodies) {
    expect(body.length).toBeGreaterThan(40)
    expect(all.replace(/\s+/g, '')).not.toContain(body.slice(8, 60))
  }
})

describe('tanba --help and usage errors', () => {
  it('prints help with examples for every command, exit 0', async () => {
    for (const args of [['--help'], ['stamp', '--help'], ['verify', '--help'], ['inspect', '--help'], ['keygen', '--help']]) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toContain('Examples:')
      expect(r.stdout).toContain('$ tanba')
    }
    const v = await run(['--version'])
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('exits 3 on usage errors and says what to do, touching nothing', async () => {
    const src = write(join(work, 'usage/a.txt'), KK_RU)
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /unknown command/],
      [['stamp', src], /Say where to write/],
      [['stamp', src, src, '-o', 'x.txt'], /exactly one input/],
      [['stamp', src, '--out-dir', 'o', '--in-place'], /either --out-dir or --in-place/],
      [['stamp', src, '-o', 'x.txt', '--profile', 'mars'], /Unknown profile "mars"/],
      [['stamp', src, '-o', 'x.txt', '--origin', 'dreamt'], /origin/],
      [['stamp', src, '-o', 'x.txt', '--concurrency', '0'], /whole number/],
      [['stamp', src, '-o', 'x.txt', '--key', join(work, 'nope.key')], /Could not read the private key file/],
      [['stamp', src, '-o', 'x.txt', '--lang', 'tlh'], /No built-in notice text for language "tlh"/],
      [['stamp', src, '-o', 'x.txt', '--bogus'], /unknown option '--bogus'/],
      [['verify'], /missing required argument/],
      [['verify', src, '--trust', join(work, 'missing.pem')], /Could not read the trust file/],
      [['keygen'], /--out <dir>/],
      [['inspect', join(work, 'missing.txt')], /does not exist/],
      [['stamp', '.', '--out-dir', '.'], /holds the input \.: choose an output folder outside/],
    ]
    for (const [args, message] of cases) {
      const r = await run(args, join(work, 'usage'))
      expect(r.code, args.join(' ')).toBe(3)
      expect(r.stderr, args.join(' ')).toMatch(message)
      expect(r.stdout, args.join(' ')).toBe('')
    }
    expect(readdirSync(join(work, 'usage'))).toEqual(['a.txt'])
    expect(readFileSync(src, 'utf8')).toBe(KK_RU)
  })
})

describe('tanba keygen', () => {
  it('writes ca.pem, signer.pem (leaf + chain) and signer.key (0600), and says how to use them', async () => {
    const r = await run(['keygen', '--out', 'keys', '--org', 'Acme LLP', '--country', 'KZ'])
    expect(r.code).toBe(0)
    const dir = join(work, 'keys')
    expect(readdirSync(dir).sort()).toEqual(['ca.pem', 'signer.key', 'signer.pem'])
    expect(statSync(join(dir, 'signer.key')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, 'signer.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(readFileSync(join(dir, 'signer.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(1)
    expect(r.stdout).toContain('--key keys/signer.key --cert keys/signer.pem')
    expect(r.stdout).toContain('--trust keys/signer.pem')
    expect(r.stdout).toContain('keys/ca.pem')
    expect(r.stdout).toMatch(/production/)
    expect(r.stdout).toMatch(/real certificate authority/)
    const again = await run(['keygen', '--out', 'keys'])
    expect(again.code).toBe(3)
    expect(again.stderr).toMatch(/already exists.*--force/)
    // A private key given where public material belongs is refused without echoing it.
    write(join(work, 'k/a.txt'), KK_RU)
    const wrong = await run(['verify', 'k/a.txt', '--trust', 'keys/signer.key'])
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toMatch(/found a private key; pass only public material/)
    const swapped = await run(['stamp', 'k/a.txt', '-o', 'k/b.txt', '--key', 'keys/signer.pem', '--cert', 'keys/signer.key'])
    expect(swapped.code).toBe(3)
    expect(swapped.stderr).toMatch(/holds a certificate|PKCS#8/)
  })
})

describe('tanba stamp and verify', () => {
  it('stamps one file with -o; verifies valid but untrusted with the development key; the input is unchanged', async () => {
    const input = write(join(work, 'one/story.txt'), KK_RU)
    const r = await run(['stamp', 'one/story.txt', '-o', 'one/story.labelled.txt', '--owner', 'Acme LLP', '--owner-id', '123456789012', '--generator', 'Acme Writer', '--model', 'acme-7b'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/stamped\s+one\/story\.txt → one\/story\.labelled\.txt/)
    expect(r.stderr).toMatch(/development key/)
    expect(readFileSync(input, 'utf8')).toBe(KK_RU)
    const stamped = readFileSync(join(work, 'one/story.labelled.txt'), 'utf8')
    expect(stamped).not.toBe(KK_RU)
    expect(stamped).toContain('Алматы')

    const v = await run(['verify', 'one/story.labelled.txt', '--json'])
    expect(v.code).toBe(0)
    const doc = JSON.parse(v.stdout)
    expect(doc.results).toHaveLength(1)
    const report = doc.results[0]
    expect(report).toMatchObject({ file: 'one/story.labelled.txt', status: 'valid', aiMarked: true, signature: { valid: true, trusted: false }, binding: { valid: true } })
    expect(report.label.owner).toEqual({ name: 'Acme LLP', id: '123456789012' })
    expect(report.label.system).toEqual({ name: 'Acme Writer', model: 'acme-7b' })

    const strict = await run(['verify', 'one/story.labelled.txt', '--require-trusted', '--json'])
    expect(strict.code).toBe(2)
    expect(JSON.parse(strict.stdout).results[0].status).toBe('invalid')
  })

  it('signs with keygen keys; --trust ca.pem makes the signature trusted', async () => {
    if (!existsSync(join(work, 'keys/ca.pem'))) await run(['keygen', '--out', 'keys'])
    write(join(work, 'trusted/a.txt'), KK_RU)
    const r = await run(['stamp', 'trusted/a.txt', '-o', 'trusted/a.out.txt', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/development key/)
    // Text labels are compact (a key, no chain): the signing certificate pins the key.
    const v = await run(['verify', 'trusted/a.out.txt', '--trust', 'keys/signer.pem', '--require-trusted', '--json'])
    expect(v.code).toBe(0)
    expect(JSON.parse(v.stdout).results[0].signature).toMatchObject({ valid: true, trusted: true, trust: 'trusted' })
  })

  it('stamps and verifies an encrypted PDF with --pdf-password-file, and says how when the password is missing', async () => {
    const pdf = join(ROOT, 'fixtures/pdf/encrypted-aes256.pdf')
    if (!kinds.has('pdf') || !existsSync(pdf)) return
    copyFileSync(pdf, join(work, 'secret.pdf'))
    const before = readFileSync(join(work, 'secret.pdf'))
    const refused = await run(['stamp', 'secret.pdf', '-o', 'secret.out.pdf'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/--pdf-password-file/)
    expect(existsSync(join(work, 'secret.out.pdf'))).toBe(false)
    write(join(work, 'pdf-password.txt'), 'tanba-user\n')
    const r = await run(['stamp', 'secret.pdf', '-o', 'secret.out.pdf', '--pdf-password-file', 'pdf-password.txt'])
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(join(work, 'secret.pdf'))).toEqual(before)
    const v = await run(['verify', 'secret.out.pdf', '--pdf-password-file', 'pdf-password.txt', '--json'])
    expect(v.code, v.stderr).toBe(0)
    expect(JSON.parse(v.stdout).results[0]).toMatchObject({ status: 'valid', format: 'pdf' })
    expect(v.stdout + v.stderr + r.stdout + r.stderr).not.toContain('tanba-user')
    const missing = await run(['verify', 'secret.out.pdf', '--pdf-password-file', 'no-such-file.txt'])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(/Could not read the PDF password file no-such-file\.txt/)
  })

  it('stamps a folder into --out-dir keeping relative paths; verify --json has the documented shape', async () => {
    const files = makeInputs(join(work, 'batch/in'))
    const before = hashTree(join(work, 'batch/in'))
    const r = await run(['stamp', 'batch/in', '--out-dir', 'batch/out', '--json', '--concurrency', '2'])
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.summary).toMatchObject({ total: files.length, stamped: files.length, failed: 0, concurrency: 2, developmentKey: true })
    expect(listFiles(join(work, 'batch/out'))).toEqual(files)
    expect(hashTree(join(work, 'batch/in'))).toEqual(before)
    for (const res of doc.results) {
      expect(res.status).toBe('stamped')
      expect(res.label.sig.value).toBeTruthy()
      expect(res.carriers.length).toBeGreaterThan(0)
    }

    const v = await run(['verify', 'batch/out', '--json'])
    expect(v.code, v.stdout).toBe(0)
    const vdoc = JSON.parse(v.stdout)
    expect(vdoc.results.map((x: { file: string }) => x.file)).toEqual(files.map((f) => `batch/out/${f}`))
    for (const report of vdoc.results) {
      expect(report.status).toBe('valid')
      for (const key of ['file', 'mediaType', 'status', 'aiMarked', 'markers', 'label', 'signature', 'binding', 'profiles', 'messages']) expect(report).toHaveProperty(key)
      expect(report.signature).toHaveProperty('valid')
      expect(report.signature).toHaveProperty('trusted')
      expect(report.signature).toHaveProperty('signer')
      expect(report.binding).toHaveProperty('valid', true)
      expect(report.markers.length).toBeGreaterThan(0)
      for (const m of report.markers) for (const key of ['standard', 'carrier', 'valid']) expect(m).toHaveProperty(key)
      for (const p of Object.values(report.profiles) as Array<{ pass: boolean; failures: string[] }>) {
        expect(typeof p.pass).toBe('boolean')
        expect(Array.isArray(p.failures)).toBe(true)
      }
    }
    expect(vdoc.summary).toMatchObject({ total: files.length, valid: files.length, exitCode: 0 })

    // A glob (quoted, expanded by tanba) keeps paths relative to its fixed part.
    const g = await run(['stamp', 'batch/in/notes/**/*.{md,txt}', '--out-dir', 'batch/globbed', '--json'])
    expect(g.code, g.stderr).toBe(0)
    expect(listFiles(join(work, 'batch/globbed'))).toEqual(['deep/zh.txt', 'post.md'])
  })

  it('keeps an already-labelled file as an exact copy (exit 0) and replaces the label only with --force', async () => {
    write(join(work, 'again/a.txt'), KK_RU)
    expect((await run(['stamp', 'again/a.txt', '-o', 'again/once.txt'])).code).toBe(0)
    const once = readFileSync(join(work, 'again/once.txt'))
    const r = await run(['stamp', 'again/once.txt', '-o', 'again/twice.txt', '--json'])
    expect(r.code).toBe(0)
    const res = JSON.parse(r.stdout).results[0]
    expect(res.status).toBe('already-labelled')
    expect(res.reason).toMatch(/--force/)
    expect(readFileSync(join(work, 'again/twice.txt')).equals(once)).toBe(true)
    const human = await run(['stamp', 'again/once.txt', '-o', 'again/twice-h.txt'])
    expect(human.stdout).toMatch(/kept\s+again\/once\.txt: already carries a Tanba label/)

    const f = await run(['stamp', 'again/once.txt', '-o', 'again/forced.txt', '--force', '--json'])
    expect(f.code).toBe(0)
    const forced = JSON.parse(f.stdout).results[0]
    expect(forced).toMatchObject({ status: 'stamped', replaced: true })
    expect(forced.label.id).not.toBe(res.label.id)
    const v = await run(['verify', 'again/forced.txt', '--json'])
    const report = JSON.parse(v.stdout).results[0]
    expect(report.status).toBe('valid')
    expect(report.label.id).toBe(forced.label.id)
    // One label, one notice: never a second one.
    const ins = JSON.parse((await run(['inspect', 'again/forced.txt', '--json'])).stdout)
    expect(new Set(ins.labels.map((l: { label: { id: string } }) => l.label.id))).toEqual(new Set([forced.label.id]))
    const text = readFileSync(join(work, 'again/forced.txt'), 'utf8')
    const notice = report.markers.find((m: { standard: string }) => m.standard === 'notice')
    if (notice?.value?.text) expect(text.split(notice.value.text.split('\n')[0]).length - 1).toBe(1)
  })

  it('exit status: 1 for unlabelled, 2 for invalid, 3 for unreadable, the worst file wins', async () => {
    write(join(work, 'codes/plain.txt'), KK_RU)
    await run(['stamp', 'codes/plain.txt', '-o', 'codes/good.txt'])
    const good = readFileSync(join(work, 'codes/good.txt'), 'utf8')
    write(join(work, 'codes/tampered.txt'), good.replace('Алматы', 'Астана'))
    expect((await run(['verify', 'codes/good.txt'])).code).toBe(0)
    const unl = await run(['verify', 'codes/plain.txt', 'codes/good.txt'])
    expect(unl.code).toBe(1)
    expect(unl.stdout).toMatch(/unlabelled\s+codes\/plain\.txt/)
    const inv = await run(['verify', 'codes/plain.txt', 'codes/good.txt', 'codes/tampered.txt'])
    expect(inv.code).toBe(2)
    expect(inv.stdout).toMatch(/invalid\s+codes\/tampered\.txt/)
    expect(inv.stdout).toMatch(/binding\.mismatch/)
    const bad = await run(['verify', 'codes', 'codes/missing.txt', '--json'])
    expect(bad.code).toBe(3)
    const doc = JSON.parse(bad.stdout)
    expect(doc.results.find((x: { file: string }) => x.file === 'codes/missing.txt')).toMatchObject({ status: 'error', error: { code: 'ENOENT' } })
    expect(doc.summary).toMatchObject({ unlabelled: 1, invalid: 1, valid: 1, error: 1, exitCode: 3 })
  })

  it('reports a bad file by name with what to do, and finishes the rest of the batch', async () => {
    write(join(work, 'mixed/in/a.txt'), KK_RU)
    write(join(work, 'mixed/in/b.md'), MD)
    write(join(work, 'mixed/junk.bin'), new Uint8Array([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 7]))
    const extra: string[] = []
    if (kinds.has('pdf')) extra.push(write(join(work, 'mixed/in/broken.pdf'), '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer'))
    if (kinds.has('image')) extra.push(write(join(work, 'mixed/in/broken.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48])))
    const r = await run(['stamp', 'mixed/in', 'mixed/junk.bin', '--out-dir', 'mixed/out'])
    expect(r.code).toBe(3)
    expect(r.stdout).toMatch(/failed\s+mixed\/junk\.bin: Could not tell what this file is/)
    for (const path of extra) expect(r.stdout).toContain(`failed   mixed/in/${basename(path)}:`)
    expect(r.stdout).toMatch(/stamped\s+mixed\/in\/a\.txt/)
    expect(r.stdout).toMatch(/stamped\s+mixed\/in\/b\.md/)
    expect(r.stdout).toMatch(/could not be stamped/)
    expect(listFiles(join(work, 'mixed/out'))).toEqual(['a.txt', 'b.md'])
  })

  it('--in-place changes inputs only when asked; a rerun keeps them as they are', async () => {
    write(join(work, 'inplace/a.txt'), KK_RU)
    write(join(work, 'inplace/b.md'), MD)
    const r = await run(['stamp', 'inplace', '--in-place'])
    expect(r.code, r.stderr).toBe(0)
    const after = hashTree(join(work, 'inplace'))
    expect(readFileSync(join(work, 'inplace/a.txt'), 'utf8')).not.toBe(KK_RU)
    expect((await run(['verify', 'inplace'])).code).toBe(0)
    const again = await run(['stamp', 'inplace', '--in-place', '--json'])
    expect(JSON.parse(again.stdout).summary).toMatchObject({ alreadyLabelled: 2, stamped: 0 })
    expect(hashTree(join(work, 'inplace'))).toEqual(after)
  })

  it('takes owner, system, keys and defaults from tanba.config.json; a bad config exits 3 naming the key', async () => {
    if (!existsSync(join(work, 'keys/ca.pem'))) await run(['keygen', '--out', 'keys'])
    const dir = join(work, 'cfg')
    write(join(dir, 'in/a.txt'), KK_RU)
    write(
      join(dir, 'tanba.config.json'),
      JSON.stringify({
        owner: { name: 'Qazaq Media JSC', id: '990140000123', country: 'KZ' },
        system: { name: 'Qazaq Writer', model: 'qw-2' },
        keys: { key: '../keys/signer.key', cert: '../keys/signer.pem' },
        trust: ['../keys/signer.pem'],
        profiles: ['kz', 'eu'],
        defaults: { origin: 'modified', requireTrusted: true },
      }),
    )
    const r = await run(['stamp', 'in', '--out-dir', 'out', '--json'], dir)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/development key|No owner|No AI system/)
    const label = JSON.parse(r.stdout).results[0].label
    expect(label).toMatchObject({ origin: 'modified', owner: { name: 'Qazaq Media JSC', id: '990140000123', country: 'KZ' }, system: { name: 'Qazaq Writer', model: 'qw-2' }, profiles: ['kz', 'eu'] })
    const v = await run(['verify', 'out', '--json'], dir)
    expect(v.code).toBe(0)
    expect(JSON.parse(v.stdout).results[0].signature.trusted).toBe(true)

    write(join(dir, 'bad.json'), JSON.stringify({ owner: { id: 'x' }, profiles: ['kz', 'mars'], defaults: { concurency: 2 } }))
    const bad = await run(['stamp', 'in', '--out-dir', 'out2', '--config', 'bad.json'], dir)
    expect(bad.code).toBe(3)
    expect(bad.stderr).toContain('config.owner.name is required')
    expect(bad.stderr).toContain('unknown profile "mars"')
    expect(bad.stderr).toContain('config.defaults.concurency is not a known setting')
    expect(existsSync(join(dir, 'out2'))).toBe(false)
    write(join(dir, 'broken.json'), '{ "owner": ')
    const broken = await run(['verify', 'out', '--config', 'broken.json'], dir)
    expect(broken.code).toBe(3)
    expect(broken.stderr).toMatch(/broken\.json is not valid JSON/)
  })
})

describe('tanba inspect', () => {
  it('lists markers and labels, human-readable and as JSON', async () => {
    write(join(work, 'insp/a.md'), MD)
    await run(['stamp', 'insp/a.md', '-o', 'insp/b.md', '--owner', 'Acme LLP'])
    const human = await run(['inspect', 'insp/b.md'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/AI-marked: yes/)
    expect(human.stdout).toMatch(/Markers \(\d+\)/)
    expect(human.stdout).toMatch(/owner\s+Acme LLP/)
    const json = JSON.parse((await run(['inspect', 'insp/b.md', '--json'])).stdout)
    expect(json).toMatchObject({ file: 'insp/b.md', aiMarked: true })
    expect(json.markers.some((m: { standard: string }) => m.standard === 'tanba')).toBe(true)
    const plain = JSON.parse((await run(['inspect', 'insp/a.md', '--json'])).stdout)
    expect(plain.labels).toEqual([])
  })
})

describe('output rules', () => {
  it('no colour when piped or with NO_COLOR (even when forced); colour with FORCE_COLOR', async () => {
    write(join(work, 'color/a.txt'), KK_RU)
    const args = ['verify', 'color/a.txt', 'color/missing.txt']
    expect((await run(args)).stdout).not.toMatch(SGR)
    const forced = await run(args, work, { FORCE_COLOR: '1' })
    expect(forced.stdout).toMatch(SGR)
    const no = await run(args, work, { FORCE_COLOR: '1', NO_COLOR: '1' })
    expect(no.stdout + no.stderr).not.toMatch(SGR)
    expect(no.stdout).toMatch(/unlabelled/)
  })

  it('--json keeps stdout to one JSON document; progress and warnings go to stderr', async () => {
    makeInputs(join(work, 'json/in'))
    const r = await run(['stamp', 'json/in', '--out-dir', 'json/out', '--json'])
    expect(() => JSON.parse(r.stdout)).not.toThrow()
    expect(r.stderr).toMatch(/warning: .*development key/)
    const v = await run(['verify', 'json/out', '--json'])
    expect(() => JSON.parse(v.stdout)).not.toThrow()
  })

  const hasScript = spawnSync('script', ['--version']).status === 0
  it.skipIf(!hasScript)('shows a progress bar with rate and time left on a terminal', () => {
    makeInputs(join(work, 'tty/in'))
    const cmd = `${process.execPath} ${join(ROOT, 'packages/cli/dist/bin.js')} stamp tty/in --out-dir tty/out`
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: work, env: { ...process.env, TANBA_CONFIG_DIR: configDir, NO_COLOR: '1', TERM: 'xterm' }, encoding: 'utf8' })
    outputs.push(r.stdout)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/stamping .*\d+\/\d+ files {2}[\d.]+\/s/)
    expect(r.stdout).toMatch(/Done: stamped \d+/)
    expect(r.stdout).not.toMatch(SGR)
  })
})

/** Waits until `done()` holds, polling; a hang guard (not a time budget) stops it after two minutes. */
async function until(done: () => boolean, guardMs = 120_000): Promise<void> {
  const guard = performance.now() + guardMs
  while (!done()) {
    if (performance.now() > guard) throw new Error(`gave up waiting after ${guardMs} ms (a hang)`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('crash safety', () => {
  it('Ctrl-C (SIGINT) finishes the files in progress, says how far it got, exits 130; a rerun finishes', async () => {
    const dir = join(work, 'sigint')
    const count = 600
    for (let i = 0; i < count; i++) write(join(dir, 'in', `f${i}.txt`), `${i}: ${KK_RU.repeat(1 + (i % 30))}`)
    const runOpts = { cwd: dir, configDir }
    const child = spawn(process.execPath, [join(ROOT, 'packages/cli/dist/bin.js'), 'stamp', 'in', '--out-dir', 'out'], { cwd: dir, env: { ...process.env, TANBA_CONFIG_DIR: configDir }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    // Interrupt once the first outputs exist (however long start-up takes on a busy machine).
    await until(() => listFiles(join(dir, 'out')).length >= 20 || child.exitCode !== null)
    child.kill('SIGINT')
    const code = await closed
    outputs.push(stderr)
    const done = listFiles(join(dir, 'out'))
    expect(done.length).toBeLessThan(count)
    expect(code).toBe(130)
    expect(stderr).toMatch(/interrupted: Stamping was aborted after \d+ of 600 files; run it again to finish the rest/)
    expect(done.filter((f) => f.includes('.tanba-tmp-'))).toEqual([])
    const rerun = await tanba(['stamp', 'in', '--out-dir', 'out', '--json'], runOpts)
    expect(rerun.code).toBe(0)
    expect(JSON.parse(rerun.stdout).summary).toMatchObject({ total: count, failed: 0, skipped: done.length })
    const v = await tanba(['verify', 'out', '--json', '--no-c2pa'], runOpts)
    expect(JSON.parse(v.stdout).summary).toMatchObject({ valid: count, exitCode: 0 })
  }, 120_000)

  it('a batch killed with SIGKILL leaves no partial outputs and unmodified inputs; a rerun completes it', async () => {
    const dir = join(work, 'kill')
    const count = 800
    for (let i = 0; i < count; i++) {
      const body = `${i}: ${KK_RU.repeat(1 + (i % 40))}`
      write(join(dir, 'in', `d${i % 7}`, `f${i}.${i % 3 === 0 ? 'md' : 'txt'}`), i % 3 === 0 ? `# ${i}\n\n${body}` : body)
    }
    const inputs = hashTree(join(dir, 'in'))
    const runOpts = { cwd: dir, configDir }
    let killedMidway = 0
    // Kill at several moments: during start-up, and once this run has written 1, 40, 150 and 300
    // files (counted, not timed, so the kills land mid-batch on a busy machine too).
    for (const after of [0, 1, 40, 150, 300]) {
      const before = listFiles(join(dir, 'out')).length
      const { child, closed } = start(['stamp', 'in', '--out-dir', 'out', '--concurrency', '2'], runOpts)
      if (after) await until(() => listFiles(join(dir, 'out')).length - before >= after || child.exitCode !== null)
      const exited = child.exitCode !== null
      child.kill('SIGKILL')
      await closed
      const done = listFiles(join(dir, 'out')).filter((f) => !basename(f).includes('.tanba-tmp-'))
      if (!exited && done.length < count) killedMidway++
      // Every output that exists is complete: it verifies as valid.
      if (done.length) {
        const v = await tanba(['verify', 'out', '--json', '--no-c2pa'], runOpts)
        const doc = JSON.parse(v.stdout)
        expect(doc.results).toHaveLength(done.length)
        expect(doc.results.filter((r: { status: string }) => r.status !== 'valid')).toEqual([])
      }
      expect(hashTree(join(dir, 'in'))).toEqual(inputs)
    }
    expect(killedMidway).toBeGreaterThan(0)
    const rerun = await tanba(['stamp', 'in', '--out-dir', 'out', '--json'], runOpts)
    expect(rerun.code, rerun.stderr).toBe(0)
    const summary = JSON.parse(rerun.stdout).summary
    expect(summary.total).toBe(count)
    expect(summary.failed).toBe(0)
    expect(summary.skipped).toBeGreaterThan(0)
    const all = listFiles(join(dir, 'out'))
    expect(all.filter((f) => basename(f).includes('.tanba-tmp-'))).toEqual([])
    expect(all).toEqual(Object.keys(inputs))
    const v = await tanba(['verify', 'out', '--json', '--no-c2pa'], runOpts)
    expect(v.code).toBe(0)
    expect(JSON.parse(v.stdout).summary.valid).toBe(count)
    expect(hashTree(join(dir, 'in'))).toEqual(inputs)
  }, 180_000)

  it('--in-place killed with SIGKILL leaves every input either untouched or completely stamped', async () => {
    const dir = join(work, 'kill-inplace')
    const count = 500
    for (let i = 0; i < count; i++) write(join(dir, 'files', `f${i}.txt`), `${i}: ${KK_RU.repeat(1 + (i % 30))}`)
    const original = hashTree(join(dir, 'files'))
    const runOpts = { cwd: dir, configDir }
    const { child, closed } = start(['stamp', 'files', '--in-place', '--concurrency', '2'], runOpts)
    await until(() => child.exitCode !== null || Object.entries(hashTree(join(dir, 'files'))).filter(([f, h]) => original[f] !== h).length >= 10)
    child.kill('SIGKILL')
    await closed
    const now = hashTree(join(dir, 'files'))
    const changed = Object.keys(original).filter((f) => now[f] !== original[f])
    expect(changed.length).toBeGreaterThan(0)
    expect(changed.length).toBeLessThan(count)
    // The changed ones are complete, valid labels; the rest are byte-for-byte the originals.
    const v = await tanba(['verify', ...changed.map((f) => `files/${f}`), '--json', '--no-c2pa'], runOpts)
    expect(JSON.parse(v.stdout).results.map((r: { status: string }) => r.status)).toEqual(changed.map(() => 'valid'))
    const rerun = await tanba(['stamp', 'files', '--in-place', '--json'], runOpts)
    expect(JSON.parse(rerun.stdout).summary).toMatchObject({ total: count, failed: 0, alreadyLabelled: changed.length, stamped: count - changed.length })
    expect(listFiles(join(dir, 'files')).filter((f) => f.includes('.tanba-tmp-'))).toEqual([])
  }, 120_000)
})
