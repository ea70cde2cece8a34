import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const dir = fileURLToPath(new URL('..', import.meta.url))

describe('examples/text-sse', () => {
  it('labels an OpenAI-style SSE stream on the fly; the client verifies it as valid', async () => {
    // Run the real script as a user would, against the workspace sources (no build needed).
    const { stdout } = await run(process.execPath, ['--conditions=development', '--import', 'tsx', 'index.mjs', '--json'], { cwd: dir, timeout: 60_000 })
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!)
    expect(summary.status).toBe('valid')
    expect(summary.trusted).toBe(true)
    expect(summary.binding).toBe(true)
    expect(summary.aiDisclosure).toMatch(/^mode=ai-originated, model="demo-llm-1", provider="Demo LLP", date="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/)
    expect(summary.events).toBeGreaterThan(40)
    expect(summary.visibleText).toBe(
      '[AI] Бұл мазмұнды жасанды интеллект жасаған / Этот контент создан искусственным интеллектом\n\n' +
        'Жасанды интеллект туралы заң 2026 жылғы 18 қаңтарда күшіне енді. Закон требует помечать синтетический контент. ' +
        'Sunʼiy intellekt oʻz matnini belgilaydi. 人工智能生成的内容需要标识。 Done ✅\n',
    )
    expect(summary.invisibleCodePoints).toBeGreaterThan(200)
    expect(summary.markers).toEqual(['tanba:text:wrapper', 'notice:text:notice:start'])
    expect(summary.profiles.kz.pass).toBe(true)
  }, 60_000)
})
