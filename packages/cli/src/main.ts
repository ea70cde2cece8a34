// The tanba command: parses arguments and prints. The work lives in the `tanba` package.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { close } from 'tanba/node'
import { formatFatal } from './fatal.js'
import { colorsFor, type Io } from './output.js'
import { runStamp } from './commands/stamp.js'
import { runVerify } from './commands/verify.js'
import { runInspect } from './commands/inspect.js'
import { runKeygen } from './commands/keygen.js'
import { runFormats } from './commands/formats.js'
import { runDiff } from './commands/diff.js'
import { runQueueAdd, runQueueClean, runQueueRetry, runQueueStatus, runWorker } from './commands/queue.js'

export const VERSION = '0.1.0'

/** Exit statuses. verify: 0 all valid, 1 some unlabelled, 2 some invalid, 3 usage or read error. */
export const EXIT = { ok: 0, unlabelled: 1, invalid: 2, usage: 3, interrupted: 130 } as const

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)]

function positiveInt(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${value}"`)
  return n
}

const STAMP_HELP = `
Examples:
  $ tanba stamp picture.png -o picture.labelled.png
  $ tanba stamp generated/ --out-dir labelled/
  $ tanba stamp "exports/**/*.{png,jpg,pdf}" --out-dir labelled/ --profile kz --profile eu
  $ tanba stamp story.md -o story.labelled.md --owner "Acme LLP" --owner-id 123456789012 --generator "Acme Writer" --model acme-7b
  $ tanba stamp out/ --in-place --config tanba.config.json --json > stamp-report.json

Without --key (or keys in a config file) Tanba signs with a development key kept in your
user configuration folder; labels it signs verify as "untrusted". Run "tanba keygen" for
a key of your own. Outputs are written atomically; rerunning a batch skips outputs that
already exist (use --overwrite to redo them). A file that already carries a Tanba label is
copied unchanged unless --force is given.

Exit status: 0 every file stamped (or already labelled / skipped), 3 a usage error or a file
that could not be stamped.`

const VERIFY_HELP = `
Examples:
  $ tanba verify picture.labelled.png
  $ tanba verify labelled/ --trust keys/ca.pem --require-trusted
  $ tanba verify "incoming/**/*" --profile cn --json > report.json

Exit status: 0 every file valid; 1 some file unlabelled and none worse; 2 some file invalid;
3 a usage or read error. With --json, stdout holds one JSON document {"results": [report, ...]}
(see docs/cli.md for the schema); progress goes to stderr.`

const INSPECT_HELP = `
Examples:
  $ tanba inspect picture.png
  $ tanba inspect report.pdf --json

Lists every AI-disclosure marker (Tanba, C2PA, IPTC, TC260, notices, generator parameters)
and metadata field, without judging validity (use "tanba verify" for that).
Exit status: 0 read, 3 a usage or read error.`

const KEYGEN_HELP = `
Examples:
  $ tanba keygen --out keys/
  $ tanba keygen --out keys/ --name "Acme AI labelling" --org "Acme LLP" --country KZ

Writes ca.pem (the root certificate verifiers trust), signer.pem (the signing certificate
followed by its chain) and signer.key (the private key, mode 0600), usable for Tanba labels
and C2PA manifests. This CA is your own: for production, have a real certificate authority
issue the signing certificate.`

const DIFF_HELP = `
Examples:
  $ tanba diff labelled/photo.jpg cdn/photo.jpg
  $ tanba diff labelled/ cms-export/ --profile eu --trust keys/ca.pem
  $ tanba diff labelled/clip.mp4 remuxed/clip.mp4 --json > diff.json

For each marker in BEFORE, says whether AFTER kept it, changed it, broke it (present but no
longer valid) or lost it, lists markers AFTER added, and whether the visible notice is still
there. Two folders are paired by relative path; files on one side only are listed as unpaired.
Profiles: --profile, else the BEFORE label's own, else kz.
Exit status: 0 no required mark was lost; 2 a mark the profiles require was lost or broken;
3 a usage or read error. With --json, stdout holds one JSON document.`

const QUEUE_HELP = `
Examples:
  $ tanba queue add /archive/2026/ --out-dir /labelled/2026/ --redis redis://queue:6379 --owner "Acme LLP" --profile kz
  $ tanba worker --redis redis://queue:6379 --key keys/signer.key --cert keys/signer.pem
  $ tanba queue status --redis redis://queue:6379 --wait
  $ tanba queue retry-failed --redis redis://queue:6379

Jobs carry paths and options only (never file bytes, keys or passwords): every worker must see
the inputs and the output folder at the same paths. A job's id is a hash of its relative path
and the input's content, so adding the same folder again adds nothing twice. --redis defaults
to $TANBA_REDIS_URL. See docs/scale-out.md.`

const WORKER_HELP = `
Examples:
  $ tanba worker --redis redis://queue:6379 --key keys/signer.key --cert keys/signer.pem --trust keys/ca.pem
  $ tanba worker --redis redis://queue:6379 --config /etc/tanba/tanba.config.json --concurrency 4

Keys, certificates and trust stores come from this worker's own flags and config file, never from
Redis. A job killed with its worker is taken by another worker once its lock expires
(--lock-duration); a job that loses its worker more than --max-stalled times is failed.
SIGINT/SIGTERM: finish the jobs in progress, then stop. Exit status: 0 stopped, 3 a usage error.`

const MAIN_HELP = `
Examples:
  $ tanba stamp picture.png -o picture.labelled.png
  $ tanba stamp generated/ --out-dir labelled/
  $ tanba verify labelled/ --json
  $ tanba inspect picture.png
  $ tanba diff labelled/ cdn-output/
  $ tanba keygen --out keys/
  $ tanba formats
  $ tanba queue add archive/ --out-dir labelled/ --redis redis://127.0.0.1:6379
  $ tanba worker --redis redis://127.0.0.1:6379

Run "tanba <command> --help" for the options of each command. Documentation: docs/cli.md.`

/** Runs the command line and returns the exit status. Never calls process.exit. */
export async function main(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const err = colorsFor(io.stderr, io.env)
  let status: number = EXIT.ok
  const program = new Command('tanba')
  program
    .description('Label AI-generated content (images, PDFs, audio, video, text) and verify labels.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(err.red(s)),
    })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', MAIN_HELP)

  program
    .command('stamp')
    .summary('label files: visible notice + signed machine-readable label')
    .description('Stamp AI-generated files with a visible or audible notice and a signed, machine-readable label.')
    .argument('<inputs...>', 'files, folders (recursive) or globs')
    .option('-o, --output <file>', 'output file (one input file only)')
    .option('--out-dir <dir>', 'output folder; relative paths under the inputs are kept')
    .option('--in-place', 'overwrite the inputs (explicit opt-in)')
    .option('--exclude <glob>', 'leave out files matching this glob when walking folders (repeatable)', collect)
    .option('--profile <id>', 'jurisdiction profile kz|uz|cn|eu|in|us-ca (repeatable; default kz)', collect)
    .addOption(new Option('--origin <origin>', 'generated by AI, or modified with AI').choices(['generated', 'modified']))
    .option('--generator <name>', 'the AI system that made the content')
    .option('--model <name>', 'the model name or version')
    .option('--owner <name>', 'the owner or holder of the AI system (the responsible party)')
    .option('--owner-id <id>', "the owner's identifier, e.g. a business identification number")
    .option('--distributor <name>', 'the distributor (TC260 propagator), when not the owner')
    .option('--distributor-id <id>', "the distributor's identifier")
    .option('--lang <codes>', 'notice languages, replacing the profiles\' (repeatable or comma-separated, e.g. kk,ru)', collect)
    .option('--add-lang <codes>', 'notice languages added to the profiles\' (repeatable or comma-separated)', collect)
    .option('--notice <text>', 'notice text to use instead of the built-in texts')
    .option('--placement <where>', 'where the notice goes: start, end, both, top, bottom, top-left, top-right, bottom-left, bottom-right')
    .option('--notice-icon <icon>', 'images: an icon before the notice text: basic, generated, modified, auto (from --origin), or a PNG/SVG file of your own (the EU\'s official icon, say)')
    .option('--no-visible', 'no visible or audible notice (machine-readable label only)')
    .option('--no-c2pa', 'do not embed C2PA manifests')
    .option('--c2pa-required', 'fail a file whose C2PA manifest cannot be written (default: write the other carriers and say why)')
    .option('--c2pa-drop-broken-parent', 'leave out an invalid or unreadable earlier C2PA manifest instead of keeping it as the parent')
    .addOption(new Option('--pdf-notice-layout <layout>', 'PDF notice: a band added to the page (covers nothing) or an overlay on the page').choices(['band', 'overlay']))
    .option('--watermark', 'images: embed the invisible watermark even with --no-visible (re-encodes the image)')
    .option('--no-watermark', 'images: do not embed the invisible watermark (embedded by default with the visible warning)')
    .option('--ledger <file>', 'append each signed label to this JSON-lines ledger (verify --ledger finds it from the watermark)')
    .option('--pdf-password-file <file>', 'file holding the password of encrypted PDFs (user or owner password)')
    .option('--key <file>', 'signing key: PKCS#8 PEM private key')
    .option('--cert <file>', 'certificate chain PEM for the key (leaf first), needed for C2PA')
    .option('--tsa <url>', 'RFC 3161 time-stamping authority: each label gets a time-stamp over its signature')
    .option('--config <file>', 'tanba.config.json with owner, system, keys and defaults (default: ./tanba.config.json if present)')
    .option('--concurrency <n>', 'worker threads (default: number of cores)', positiveInt)
    .option('--force', 'replace an existing Tanba label instead of copying the file unchanged')
    .option('--overwrite', 'stamp again files whose output exists from an earlier run')
    .option('--json', 'print one JSON document on stdout (progress goes to stderr)')
    .option('-q, --quiet', 'no progress, notes or warnings on stderr (errors still)')
    .addHelpText('after', STAMP_HELP)
    .action(async (inputs: string[], opts, cmd: Command) => {
      status = await runStamp(inputs, { ...opts, visibleSet: cmd.getOptionValueSource('visible') === 'cli', c2paSet: cmd.getOptionValueSource('c2pa') === 'cli', watermarkSet: cmd.getOptionValueSource('watermark') === 'cli' }, io, signal)
    })

  program
    .command('verify')
    .summary('check labels: signature, trust, binding, profiles')
    .description('Verify the labels in files: every AI marker, the Tanba signature and trust, the content binding and the profiles.')
    .argument('<inputs...>', 'files, folders (recursive) or globs')
    .option('--trust <file>', 'trusted roots or keys: PEM certificates or public keys, or a JWKS (repeatable)', collect)
    .option('--tsa-trust <file>', 'trusted time-stamping authority roots (PEM, repeatable): their RFC 3161 time-stamps fix the signing time', collect)
    .option('--exclude <glob>', 'leave out files matching this glob when walking folders (repeatable)', collect)
    .option('--profile <id>', 'evaluate these profiles kz|uz|cn|eu|in|us-ca (repeatable; default: the label\'s own)', collect)
    .option('--require-trusted', 'treat a valid but untrusted signature as invalid')
    .option('--ledger <file>', 'resolve a found watermark to the signed label recorded in this JSON-lines ledger')
    .option('--no-c2pa', 'do not read C2PA manifests')
    .option('--pdf-password-file <file>', 'file holding the password of encrypted PDFs (user or owner password)')
    .option('--config <file>', 'tanba.config.json (its trust list and defaults are used)')
    .option('--concurrency <n>', 'worker threads (default: number of cores)', positiveInt)
    .option('--json', 'print {"results": [report, ...]} on stdout (progress goes to stderr)')
    .option('-q, --quiet', 'no progress, notes or warnings on stderr (errors still)')
    .addHelpText('after', VERIFY_HELP)
    .action(async (inputs: string[], opts, cmd: Command) => {
      status = await runVerify(inputs, { ...opts, c2paSet: cmd.getOptionValueSource('c2pa') === 'cli' }, io, signal)
    })

  program
    .command('inspect')
    .summary('list every AI marker and metadata field in a file')
    .description('Show every marker and metadata field relevant to AI disclosure in a file, from any standard.')
    .argument('<file>', 'the file to inspect')
    .option('--no-c2pa', 'do not read C2PA manifests')
    .option('--json', 'print JSON instead of text')
    .addHelpText('after', INSPECT_HELP)
    .action(async (file: string, opts) => {
      status = await runInspect(file, opts, io)
    })

  program
    .command('diff')
    .summary('what a processing step did to the marks: kept, changed, broken or lost')
    .description('Compare the marks of a file (or folder) before and after a processing step (CMS, CDN, re-encoder): which were kept, changed, broken or lost, and whether a mark the profiles require is gone.')
    .argument('<before>', 'the file or folder as stamped')
    .argument('<after>', 'the same file or folder after processing')
    .option('--profile <id>', 'profiles whose required marks count kz|uz|cn|eu|in|us-ca (repeatable; default: the BEFORE label\'s own, else kz)', collect)
    .option('--trust <file>', 'trusted roots or keys: PEM certificates or public keys, or a JWKS (repeatable)', collect)
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', DIFF_HELP)
    .action(async (before: string, after: string, opts) => {
      status = await runDiff(before, after, opts, io, signal)
    })

  program
    .command('keygen')
    .summary('make a private CA and a signing key')
    .description('Make a private CA and an ES256 signing certificate and key, usable for Tanba labels and C2PA.')
    .requiredOption('--out <dir>', 'folder to write ca.pem, signer.pem and signer.key into')
    .option('--name <cn>', 'common name of the signing certificate', 'Tanba signer')
    .option('--org <name>', 'organisation (the owner or holder of the AI system)')
    .option('--country <cc>', 'two-letter country code, e.g. KZ')
    .option('--days <n>', 'validity of the signing certificate in days', positiveInt)
    .option('--force', 'replace keys already in the folder')
    .addHelpText('after', KEYGEN_HELP)
    .action(async (opts) => {
      status = await runKeygen(opts, io)
    })

  const redis = () => new Option('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379').env('TANBA_REDIS_URL').makeOptionMandatory()
  const queueOption = () => new Option('--queue <name>', 'queue name (default "tanba")')
  const queue = program.command('queue').summary('stamp or verify across machines: jobs on a Redis queue').description('Enqueue stamp or verify jobs on a Redis queue (BullMQ) for `tanba worker` processes, and watch them.').addHelpText('after', QUEUE_HELP)
  queue
    .command('add')
    .description('Add one stamp (or verify) job per file under the inputs; the same file with the same content is added once.')
    .argument('<inputs...>', 'files, folders (recursive) or globs, at paths every worker reaches')
    .option('--out-dir <dir>', 'output folder (every worker writes there); relative paths under the inputs are kept')
    .addOption(redis())
    .addOption(queueOption())
    .option('--verify', 'enqueue verify jobs instead; their reports are the results')
    .option('--exclude <glob>', 'leave out files matching this glob when walking folders (repeatable)', collect)
    .option('--profile <id>', 'jurisdiction profile kz|uz|cn|eu|in|us-ca (repeatable; default kz)', collect)
    .addOption(new Option('--origin <origin>', 'generated by AI, or modified with AI').choices(['generated', 'modified']))
    .option('--generator <name>', 'the AI system that made the content')
    .option('--model <name>', 'the model name or version')
    .option('--owner <name>', 'the owner or holder of the AI system')
    .option('--owner-id <id>', "the owner's identifier")
    .option('--distributor <name>', 'the distributor, when not the owner')
    .option('--distributor-id <id>', "the distributor's identifier")
    .option('--lang <codes>', "notice languages, replacing the profiles' (repeatable or comma-separated)", collect)
    .option('--add-lang <codes>', "notice languages added to the profiles'", collect)
    .option('--notice <text>', 'notice text to use instead of the built-in texts')
    .option('--placement <where>', 'where the notice goes (as for stamp)')
    .option('--notice-icon <icon>', 'images: basic, generated, modified, auto or none (an icon file belongs in the workers\' config)')
    .option('--no-visible', 'no visible or audible notice')
    .option('--no-c2pa', 'do not embed C2PA manifests')
    .option('--c2pa-required', 'fail a file whose C2PA manifest cannot be written')
    .option('--c2pa-drop-broken-parent', 'leave out an invalid earlier C2PA manifest')
    .addOption(new Option('--pdf-notice-layout <layout>', 'PDF notice: band or overlay').choices(['band', 'overlay']))
    .option('--watermark', 'images: embed the invisible watermark even with --no-visible')
    .option('--no-watermark', 'images: do not embed the invisible watermark')
    .option('--key-id <kid>', 'the key id jobs must be signed with: a worker holding another key fails them (TANBA_INVALID_KEY)')
    .option('--require-trusted', 'verify jobs: treat a valid but untrusted signature as invalid')
    .option('--force', 'replace an existing Tanba label')
    .option('--overwrite', 'stamp again files whose output exists')
    .option('--json', 'print the summary as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (inputs: string[], opts, cmd: Command) => {
      status = await runQueueAdd(inputs, { ...opts, visibleSet: cmd.getOptionValueSource('visible') === 'cli', c2paSet: cmd.getOptionValueSource('c2pa') === 'cli', watermarkSet: cmd.getOptionValueSource('watermark') === 'cli' }, io)
    })
  queue
    .command('status')
    .description('Waiting, active, completed and failed counts, files per second across all workers, and the failed files with their error codes.')
    .addOption(redis())
    .addOption(queueOption())
    .option('--wait', 'block until the queue is drained, then exit 0 (all done) or 2 (some failed)')
    .option('--interval <ms>', 'with --wait: how often to look', positiveInt)
    .option('--json', 'print the status as JSON')
    .action(async (opts) => {
      status = await runQueueStatus(opts, io, signal)
    })
  queue
    .command('retry-failed')
    .description('Move every failed job back to waiting.')
    .addOption(redis())
    .addOption(queueOption())
    .option('--json', 'print {"retried": n}')
    .action(async (opts) => {
      status = await runQueueRetry(opts, io)
    })
  queue
    .command('clean')
    .description('Remove completed jobs and their results from Redis (with --failed, failed jobs too).')
    .addOption(redis())
    .addOption(queueOption())
    .option('--failed', 'remove failed jobs as well')
    .option('--grace <s>', 'keep jobs finished less than this many seconds ago', positiveInt)
    .option('--json', 'print {"removed": {...}}')
    .action(async (opts) => {
      status = await runQueueClean(opts, io)
    })

  program
    .command('worker')
    .summary('run queued stamp and verify jobs from Redis')
    .description('Take jobs from the Redis queue and run them on worker threads, with this machine\'s keys and trust store.')
    .addOption(redis())
    .addOption(queueOption())
    .option('--concurrency <n>', 'worker threads (default: number of cores)', positiveInt)
    .option('--key <file>', 'signing key: PKCS#8 PEM private key')
    .option('--cert <file>', 'certificate chain PEM for the key (leaf first)')
    .option('--tsa <url>', 'RFC 3161 time-stamping authority')
    .option('--trust <file>', 'verify jobs: trusted roots or keys (repeatable)', collect)
    .option('--tsa-trust <file>', 'verify jobs: trusted time-stamping authority roots (repeatable)', collect)
    .option('--pdf-password-file <file>', 'file holding the password of encrypted PDFs')
    .option('--config <file>', 'tanba.config.json with owner, system, keys, trust and defaults')
    .option('--lock-duration <ms>', 'how long a job stays with a worker that stopped answering (default 60000)', positiveInt)
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died (default 30000)', positiveInt)
    .option('--max-stalled <n>', 'times a job may lose its worker before it is failed (default 2)', positiveInt)
    .option('--json', 'print one JSON event per line on stdout')
    .option('-q, --quiet', 'print only failures')
    .addHelpText('after', WORKER_HELP)
    .action(async (opts) => {
      status = await runWorker(opts, io, signal)
    })

  program
    .command('formats')
    .summary('list every format Tanba knows and what it can do with each')
    .description('List every format Tanba recognises: whether it stamps and verifies it, which notice it can put in, C2PA support, and why anything is refused.')
    .option('--json', 'print {"formats": [...]} instead of a table')
    .action((opts) => {
      status = runFormats(opts, io)
    })

  try {
    if (argv.length === 0) {
      // Bare "tanba" asks what the command does: help on stdout, success (as git and c2patool do).
      program.outputHelp()
      return EXIT.ok
    }
    await program.parseAsync(argv, { from: 'user' })
    return status
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    io.stderr.write(formatFatal(error, io) + '\n')
    return EXIT.usage
  } finally {
    await close()
  }
}

