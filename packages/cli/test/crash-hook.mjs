// Preloaded into `tanba worker` processes by queue.test.ts (NODE_OPTIONS=--import): the process
// SIGKILLs itself the moment it hands its worker pool a job whose input path contains
// $TANBA_TEST_CRASH_ON, as a file that crashes the process (a native decoder's segfault) would.
import { Worker } from 'node:worker_threads'

const match = process.env.TANBA_TEST_CRASH_ON
const post = Worker.prototype.postMessage
Worker.prototype.postMessage = function (message, transfer) {
  if (match && message?.type === 'job' && String(message.job?.input ?? '').includes(match)) process.kill(process.pid, 'SIGKILL')
  return post.call(this, message, transfer)
}
