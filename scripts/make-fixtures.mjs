// Regenerates fixtures/: runs every generator in scripts/fixtures/*.mjs (each writes fixtures/<kind>/...).
import { readdirSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const dir = new URL('./fixtures/', import.meta.url)
for (const f of readdirSync(dir).sort()) {
  if (!f.endsWith('.mjs')) continue
  console.log(`fixtures: ${f}`)
  const mod = await import(new URL(f, dir).href)
  await mod.default?.()
}
