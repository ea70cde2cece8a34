import { errorHint, errorOption, isTanbaError, toFileError } from 'tanba/node'
import { InvalidOptionError } from 'tanba'
import { colorsFor, forCli, safe, type Io } from './output.js'

/** One clear message for an error that stopped the command; never a stack for expected errors. */
export function formatFatal(error: unknown, io: Io): string {
  const c = colorsFor(io.stderr, io.env)
  if (isTanbaError(error)) {
    const hint = errorHint(error.code, error.details)
    return `${c.red('error:')} ${safe(forCli(error.message, errorOption(error)))}${hint ? `\n${c.dim(hint)}` : ''}`
  }
  const e = error as NodeJS.ErrnoException
  if (typeof e?.code === 'string' && (e.syscall || /^E[A-Z]+$/.test(e.code))) {
    const fe = toFileError(e)
    return `${c.red('error:')} ${safe(fe.message)}${fe.hint ? `\n${c.dim(fe.hint)}` : ''}`
  }
  return `${c.red('internal error:')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${c.dim('This is a bug in Tanba; please report it with the command you ran.')}`
}

/** Reports an error that ended a whole batch and returns its exit status: 130 when interrupted, else 3. */
export function batchFailure(error: unknown, io: Io): number {
  if (isTanbaError(error) && error.code === 'TANBA_ABORTED') {
    io.stderr.write(`${colorsFor(io.stderr, io.env).yellow('interrupted:')} ${error.message}\n`)
    return 130
  }
  io.stderr.write(formatFatal(error, io) + '\n')
  return 3
}

/**
 * Adapter options for `--pdf-password-file`: the file's first line is the password. Read from a
 * file, not the command line, so the password never shows in the process list or shell history.
 */
export async function pdfPasswordOptions(file: string | undefined, cwd: string): Promise<Record<string, unknown> | undefined> {
  if (!file) return undefined
  const { readFile } = await import('node:fs/promises')
  const { resolve } = await import('node:path')
  let text: string
  try {
    text = await readFile(resolve(cwd, file), 'utf8')
  } catch (cause) {
    throw new InvalidOptionError(`Could not read the PDF password file ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`)
  }
  return { pdf: { password: text.split(/\r?\n/)[0] ?? '' } }
}
