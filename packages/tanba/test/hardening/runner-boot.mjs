// Starts the hardening case runner from its TypeScript source (tsx), as the workspace resolves
// packages to their sources (the parent passes --conditions=development).
const [tsx, script] = process.argv.slice(2)
const api = await import(tsx)
api.register()
await import(script)
