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
      logLevel: 'silent',
      metafile: true,
    })
    expect(result.errors).toEqual([])
    const code = result.outputFiles[0]!.text
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((i) => i.startsWith('node:') || /\/node_modules\/(sharp|pdf-lib|music-metadata|exiftool-vendored|@contentauth)\//.test(i))).toEqual([])
    expect(code).not.toMatch(/\bnew Function\(|\beval\(/)
    // Minified size budget (measured 481 kB: xmldom, asn1js and @peculiar/x509 dominate).
    expect(code.length).toBeLessThan(550_000)
  })
})
