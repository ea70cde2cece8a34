// ExifTool in -stay_open mode never exits on its own once its parent is gone; the guard in
// src/exiftool.ts must end it when the Node process that started it is killed outright.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe.skipIf(process.platform === 'win32')('the ExifTool process', () => {
  it('ends within seconds when the Node process that started it dies by SIGKILL', async () => {
    const module = fileURLToPath(new URL('../src/exiftool.ts', import.meta.url))
    const script = `const m = await import(${JSON.stringify(module)}); const et = await m.getExiftool(); await et.version(); console.log(JSON.stringify(et.pids)); setInterval(() => {}, 1000)`
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
        if (out.includes(']')) resolve(JSON.parse(out.slice(out.indexOf('['), out.indexOf(']') + 1)))
      })
      child.once('exit', () => reject(new Error(`the child ended early: ${out}`)))
    })
    expect(pids.length).toBe(1)
    expect(alive(pids[0]!)).toBe(true)
    child.kill('SIGKILL')
    const t0 = Date.now()
    // A hang guard, not a time budget: on a busy machine the exit may take a while to be seen.
    while (alive(pids[0]!) && Date.now() - t0 < 45_000) await new Promise((r) => setTimeout(r, 100))
    const gone = !alive(pids[0]!)
    if (!gone) process.kill(pids[0]!, 'SIGKILL')
    expect(gone, 'ExifTool outlived its parent').toBe(true)
  }, 60_000)
})
