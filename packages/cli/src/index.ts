// @tanba/cli: the `tanba` command. The programmatic entry runs it with your own streams.
export { main, VERSION, EXIT } from './main.js'
export type { Io, Stream } from './output.js'
