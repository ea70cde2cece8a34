import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// @tanba/core's main entry must bundle for browsers and edge runtimes: no Node built-ins,
// and no run-time code generation (edge runtimes forbid eval / new Function).
describe('browser bundle', () => {
  it('bundles src/index.ts for the browser without node: imports or eval', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      minify: true,
      // As an app's bundler would: lazily imported modules (@peculiar/x509, PKI.js) get chunks of their own.
      splitting: true,
      outdir: 'out',
      logLevel: 'silent',
      metafile: true,
    })
    expect(result.errors).toEqual([])
    const entry = result.outputFiles.find((f) => /out\/index\.js$/.test(f.path))!
    const code = result.outputFiles.map((f) => f.text).join('\n')
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((i) => i.startsWith('node:') || /\/node_modules\/(sharp|pdf-lib|music-metadata|exiftool-vendored|@contentauth)\//.test(i))).toEqual([])
    expect(code).not.toMatch(/\bnew Function\(|\beval\(/)
    // Minified size budgets: everything (measured 940 kB: PKI.js with asn1js 4, @peculiar/x509 with
    // asn1js 3, xmldom), and what a page loads before it meets a certificate (the entry chunk).
    expect(code.length).toBeLessThan(1_000_000)
    expect(entry.text.length).toBeLessThan(550_000)
  })
})
