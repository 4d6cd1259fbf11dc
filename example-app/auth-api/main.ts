/**
 * Runs the demo AuthAPI, configured from the environment alone (`npm run example:auth`).
 *
 * @module
 */
import { ConfigError } from '../shared/env.js'
import { serveUntilSignal } from '../shared/serve.js'
import { parseAuthApiConfig, type AuthApiConfig } from './config.js'
import { openAuthApi } from './open.js'

let config: AuthApiConfig
try {
  config = parseAuthApiConfig(process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`auth-api: invalid configuration: ${err.message}`)
  process.exit(1)
}

const authApi = await openAuthApi(config)
serveUntilSignal('auth-api', authApi.app, config.host, config.port, () => authApi.close())
