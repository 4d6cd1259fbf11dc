/**
 * Runs the protected app, configured from the environment alone (`npm run example:app`).
 *
 * @module
 */
import { AuthConfigError } from '../../src/index.js'
import { ConfigError } from '../shared/env.js'
import { serveUntilSignal } from '../shared/serve.js'
import { parseAppConfig, type AppConfig } from './config.js'
import { openApp } from './open.js'
import { variableForOption } from './option-variable.js'
import type { ExampleApp } from './app.js'

function fail(message: string): never {
  console.error(`app: invalid configuration: ${message}`)
  process.exit(1)
}

let config: AppConfig
try {
  config = parseAppConfig(process.env)
} catch (err) {
  if (err instanceof ConfigError) fail(err.message)
  throw err
}

if (config.replayStore?.kind === 'memory') {
  console.warn(
    'app: DPoP proofs are remembered by this process only (DPOP_REPLAY_STORE=memory): ' +
      'behind a load balancer, set DPOP_REPLAY_STORE=redis or postgres so that every instance refuses a replay',
  )
}

let example: ExampleApp
try {
  example = await openApp(config)
} catch (err) {
  // jwt-gate validates the options too and names the option; map it back to the variable.
  if (err instanceof AuthConfigError) {
    const variable = variableForOption(err.option, process.env)
    fail(variable === undefined ? err.message : `${variable}: ${err.message}`)
  }
  if (config.users !== undefined) {
    const variable = config.users.database.kind === 'sqlite' ? 'USERS_DB' : 'DATABASE_URL'
    fail(
      `${variable}: cannot open the user database (${err instanceof Error ? err.message : 'unknown error'})`,
    )
  }
  throw err
}

// Remote keys are fetched now, not at the first token, so /healthz turns ready on its own; an
// issuer that is down is retried in the background, and the app serves (503s) meanwhile.
example.warmUp().catch((err: unknown) => {
  console.warn(`app: keys not loaded yet: ${err instanceof Error ? err.message : String(err)}`)
})

serveUntilSignal('app', example.app, config.host, config.port, () => example.close(), config.tls)
