// Every code sample in the documentation is checked, so the docs cannot drift from the code:
//
//   ```ts / ```js            type-checked against the real packages (fragments may use the names
//                            declared in globals.d.ts: the reader's own keys, bytes, streams)
//   ```ts run                type-checked and executed (node + tsx, workspace sources) in a work
//                            folder that holds the files the samples name (see prepareWork)
//   ```ts skip <reason>      neither: the reason is required and printed (e.g. needs a cloud KMS)
//   ```sh run                executed with bash in the same work folder; `tanba` and `pnpm tanba`
//                            run the built CLI; it must exit 0 (`sh run nokeys`: without keys/)
//
// Each executed sample gets its own fresh copy of the work folder, so samples do not depend on
// each other's files.
//   ```sh                    not executed, but every `tanba <command> --option` in it must be a
//                            command and options that the real CLI's --help lists
//   ```sh guide / ```ts guide FILE
//                            docs/getting-started.md: run in order, as written, from a stand-in
//                            for the repository root that holds nothing the guide does not make
//                            itself (the clone's own files only); a `ts guide FILE` block is
//                            saved as FILE, as the reader is told to, and type-checked too
//
// Files: README.md, docs/**/*.md, packages/*/README.md, examples/*/README.md.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { copyFile, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const HERE = fileURLToPath(new URL('..', import.meta.url))
const ROOT = join(HERE, '..', '..')
const OUT = join(HERE, 'out')
const SAMPLES = join(OUT, 'samples')
const WORK = join(OUT, 'work')

/** A fresh copy of the work folder for one sample. */
async function workFor(b: Block): Promise<string> {
  const dir = join(OUT, 'runs', slug(b))
  await rm(dir, { recursive: true, force: true })
  await cp(WORK, dir, { recursive: true })
  if (b.flags.includes('nokeys')) await rm(join(dir, 'keys'), { recursive: true, force: true })
  return dir
}
const BIN = join(ROOT, 'packages', 'cli', 'dist', 'bin.js')

export interface Block {
  file: string
  line: number
  lang: string
  flags: string[]
  code: string
}

/** The fenced code blocks of a Markdown file. */
export function blocksOf(file: string, text: string): Block[] {
  const out: Block[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/)
    if (!open) continue
    const [, indent, fence, lang, rest] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(fence!); j++) body.push(lines[j]!.slice(indent!.length))
    out.push({ file, line: i + 1, lang: lang!.toLowerCase(), flags: rest!.trim() ? rest!.trim().split(/\s+/) : [], code: body.join('\n') })
    i = j
  }
  return out
}

function docFiles(): string[] {
  const files = [join(ROOT, 'README.md')]
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name))
      else if (e.name.endsWith('.md')) files.push(join(dir, e.name))
    }
  }
  walk(join(ROOT, 'docs'))
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(ROOT, group))) if (existsSync(join(ROOT, group, name, 'README.md'))) files.push(join(ROOT, group, name, 'README.md'))
  }
  return files.sort()
}

const TS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'mts'])
const SH = new Set(['sh', 'bash', 'shell', 'console'])

const blocks: Block[] = []
for (const f of docFiles()) blocks.push(...blocksOf(relative(ROOT, f), await readFile(f, 'utf8')))
const tsBlocks = blocks.filter((b) => TS.has(b.lang))
const shBlocks = blocks.filter((b) => SH.has(b.lang))
const slug = (b: Block) => `${b.file.replace(/[^\w]+/g, '_')}_L${b.line}`

/** The files the `run` samples name, made from the project's own fixtures and the real CLI. */
async function prepareWork(): Promise<void> {
  await rm(OUT, { recursive: true, force: true })
  await mkdir(SAMPLES, { recursive: true })
  await mkdir(join(WORK, 'generated', 'articles'), { recursive: true })
  await mkdir(join(WORK, 'incoming'), { recursive: true })
  const fx = (p: string) => join(ROOT, 'fixtures', p)
  const copies: [string, string][] = [
    ['image/photo.png', 'picture.png'],
    ['image/photo.jpg', 'photo.jpg'],
    ['text/sample.md', 'story.md'],
    ['text/sample.txt', 'story.txt'],
    ['audio/programme.wav', 'voice.wav'],
    ['pdf/rotated.pdf', 'report.pdf'],
    ['image/photo.webp', 'generated/picture.webp'],
    ['text/sample.md', 'generated/articles/article.md'],
    ['audio/programme.mp3', 'generated/voice.mp3'],
    ['image/sd-parameters.png', 'incoming/sd.png'],
    ['text/sample.txt', 'incoming/notes.txt'],
  ]
  for (const [from, to] of copies) await copyFile(fx(from), join(WORK, to))
  const keygen = spawnSync(process.execPath, [BIN, 'keygen', '--out', 'keys', '--org', 'Acme LLP', '--country', 'KZ'], { cwd: WORK, encoding: 'utf8', env: { ...process.env, TANBA_CONFIG_DIR: join(OUT, 'config') } })
  expect(keygen.status, keygen.stderr).toBe(0)
}

const env = () => ({ ...process.env, TANBA_CONFIG_DIR: join(OUT, 'config'), NO_COLOR: '1' })

beforeAll(async () => {
  // The CLI and the SDK's worker threads run from the built packages (the root `pnpm test` builds
  // first); samples are type-checked against the built declarations, as a user's code would be.
  if (!['packages/cli/dist/bin.js', 'packages/tanba/dist/worker.js'].every((p) => existsSync(join(ROOT, p)))) {
    expect(spawnSync('pnpm', ['-r', '--filter', './packages/**', 'build'], { cwd: ROOT, stdio: 'inherit' }).status).toBe(0)
  }
  await prepareWork()
  for (const b of tsBlocks) {
    if (b.flags[0] === 'skip') continue
    await writeFile(join(SAMPLES, `${slug(b)}.mts`), `// ${b.file}:${b.line}\n${b.code}\nexport {}\n`)
  }
  await writeFile(
    join(SAMPLES, 'tsconfig.json'),
    JSON.stringify({ extends: '../../../../tsconfig.base.json', compilerOptions: { noEmit: true, declaration: false, noUnusedLocals: false, customConditions: [] }, include: ['*.mts', '../../globals.d.ts'] }, null, 2),
  )
}, 300_000)

/**
 * A stand-in for the repository root: a link to every entry of the clone (packages, fixtures,
 * node_modules, package.json…) and nothing else, so the guide's own folder starts empty and the
 * reader's clone is never touched.
 */
async function guideRoot(): Promise<string> {
  const dir = join(OUT, 'guide-root')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  for (const name of readdirSync(ROOT)) if (name !== 'tanba-try' && name !== 'out' && name !== '.git') await symlink(join(ROOT, name), join(dir, name))
  return dir
}

/** `pnpm` as the reader has it: the global one, or npx pnpm@10 when none is installed. */
function pnpmOnPath(): string {
  if (spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).status === 0) return ''
  return `pnpm() { npx --yes pnpm@10 "$@"; }\n`
}

describe('docs/getting-started.md, as written', () => {
  const guide = blocks.filter((b) => b.file === join('docs', 'getting-started.md') && b.flags[0] === 'guide')
  it('runs every step in order from the repository root, making every file it uses', async () => {
    expect(guide.filter((b) => SH.has(b.lang)).length).toBeGreaterThanOrEqual(5)
    expect(guide.filter((b) => TS.has(b.lang)).length).toBe(1)
    const root = await guideRoot()
    const log: string[] = []
    for (const b of guide) {
      if (TS.has(b.lang)) {
        // The reader saves the sample under the name the guide gives.
        const target = join(root, b.flags[1]!)
        await mkdir(join(target, '..'), { recursive: true })
        await writeFile(target, b.code + '\n')
        continue
      }
      try {
        // The real `pnpm tanba` (the root package.json script), not a stand-in for it.
        const r = await run('bash', ['-c', `set -euo pipefail\n${pnpmOnPath()}${b.code}`], { cwd: root, env: env(), timeout: 300_000 })
        log.push(r.stdout, r.stderr)
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string }
        throw new Error(`${b.file}:${b.line} failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`)
      }
    }
    const all = log.join('\n')
    expect(all).toMatch(/valid\s+tanba-try\/picture\.labelled\.png/)
    expect(all).toMatch(/valid true/)
    const report = JSON.parse(await readFile(join(root, 'tanba-try/report.json'), 'utf8')) as { results: Array<{ status: string; signature: { trusted: boolean } }> }
    expect(report.results.map((r) => [r.status, r.signature.trusted])).toEqual([
      ['valid', true],
      ['valid', true],
      ['valid', true],
    ])
    expect(all).toMatch(/Stable Diffusion|parameters/i)
  }, 600_000)
})

describe('documentation samples', () => {
  it('finds the samples, and every skipped one says why', () => {
    expect(tsBlocks.length).toBeGreaterThan(15)
    expect(tsBlocks.filter((b) => b.flags.includes('run')).length).toBeGreaterThan(5)
    for (const b of tsBlocks.filter((b) => b.flags[0] === 'skip')) {
      expect(b.flags.length, `${b.file}:${b.line} is marked skip without a reason`).toBeGreaterThan(1)
      console.log(`not checked: ${b.file}:${b.line} — ${b.flags.slice(1).join(' ')}`)
    }
  })

  it('type-checks every TypeScript sample against the real packages', async () => {
    const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc')
    const r = spawnSync(process.execPath, [tsc, '-p', join(SAMPLES, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' })
    // Point each error at the Markdown line it comes from.
    const errors = (r.stdout + r.stderr).split('\n').filter(Boolean).map((l) => {
      const m = l.match(/([\w.]+)_L(\d+)\.mts\((\d+),(\d+)\): (.*)$/)
      const block = m && tsBlocks.find((b) => slug(b) === `${m[1]}_L${m[2]}`)
      return block ? `${block.file}:${block.line + Number(m![3]) - 1}: ${m![5]}` : l
    })
    expect(errors).toEqual([])
  }, 180_000)

  for (const b of tsBlocks.filter((b) => b.flags.includes('run'))) {
    it(`runs ${b.file}:${b.line}`, async () => {
      const file = join(SAMPLES, `${slug(b)}.mts`)
      try {
        await run(process.execPath, ['--conditions=development', '--import', 'tsx', file], { cwd: await workFor(b), env: env(), timeout: 120_000 })
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string }
        throw new Error(`${b.file}:${b.line} failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`)
      }
    }, 150_000)
  }

  for (const b of shBlocks.filter((b) => b.flags.includes('run'))) {
    it(`runs ${b.file}:${b.line} (shell)`, async () => {
      const preamble = `set -euo pipefail\ntanba() { node ${JSON.stringify(BIN)} "$@"; }\npnpm() { if [ "$1" = tanba ]; then shift; tanba "$@"; else command pnpm "$@"; fi; }\n`
      try {
        await run('bash', ['-c', preamble + b.code], { cwd: await workFor(b), env: env(), timeout: 180_000 })
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string }
        throw new Error(`${b.file}:${b.line} failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`)
      }
    }, 200_000)
  }

  it('uses only commands and options that the real `tanba` accepts in every shell sample', async () => {
    const help = new Map<string, string>()
    const helpOf = async (cmd: string) => {
      if (!help.has(cmd)) {
        const r = spawnSync(process.execPath, [BIN, ...cmd.split(' '), '--help'], { encoding: 'utf8', env: env() })
        help.set(cmd, r.status === 0 ? r.stdout + r.stderr : '')
      }
      return help.get(cmd)!
    }
    const problems: string[] = []
    let checked = 0
    for (const b of shBlocks) {
      const lines = b.code.replace(/\\\n\s*/g, ' ').split('\n')
      for (const [i, raw] of lines.entries()) {
        const line = raw.replace(/^\$\s+/, '').replace(/\s+#.*$/, '')
        const m = line.match(/^(?:npx\s+(?:--yes\s+)?pnpm@\d+\s+|pnpm\s+(?:-s\s+)?)?tanba\s+(queue\s+[a-z][a-z-]*|[a-z]+)\b(.*)$/)
        if (!m) continue
        checked++
        const [, cmd, rest] = m
        const text = await helpOf(cmd!)
        if (!text) {
          problems.push(`${b.file}:${b.line + 1 + i}: "tanba ${cmd}" is not a command`)
          continue
        }
        for (const opt of rest!.match(/(?<=\s|^)--?[a-zA-Z][\w-]*/g) ?? []) {
          if (!new RegExp(`(^|[\\s,])${opt.replace(/-/g, '\\-')}(?![\\w-])`, 'm').test(text)) problems.push(`${b.file}:${b.line + 1 + i}: "tanba ${cmd}" has no option ${opt}`)
        }
      }
    }
    expect(checked).toBeGreaterThan(15)
    expect(problems).toEqual([])
  }, 120_000)
})
