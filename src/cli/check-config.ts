/**
 * `jwt-gate check-config`: validates a ClusterCockpit-style `config.json` `jwts` section with the
 * key variables that go with it, or (`--env`) the example app's environment. Each problem names
 * the offending setting; values are never printed.
 *
 * @module
 */
import { parseEnv } from 'node:util'
import { switchOptions, valueOptions } from './args.js'
import { list, read, type Env } from './env-values.js'
import { problemOf, probeOptions, refusal } from './library.js'
import { defineCommand } from './command.js'
import { checkExampleEnv } from './example-env.js'
import { EXIT, UsageError, printJson, readTextInput, type CliIo } from './io.js'
import { checkJwtsConfig } from './jwts-config.js'
import { ProblemList } from './problems.js'

const help = `Usage: jwt-gate check-config FILE [--env-file F] [--json]
       jwt-gate check-config --env [--env-file F] [--json]

FILE: a ClusterCockpit-style config.json. Checks its "jwts" section (top level, or under
"auth" as current cc-backend releases have it):
  max-age                  required; a Go duration such as "168h" or "1h30m", positive
  cookie-name (cookieName) a valid cookie name
  trusted-issuer (trustedIssuer, trustedExternalIssuer)   a non-empty string
  validate-user (validateUser, forceJWTValidationViaDatabase), sync-user-on-login
  (syncUserOnLogin), update-user-on-login (updateUserOnLogin)   booleans
  unknown keys, and the same setting under two names
and the keys, from the environment as ClusterCockpit reads them (overriding the file's
public-key, private-key, cross-login-public-key, cross-login-hs512-key):
  JWT_PUBLIC_KEY, CROSS_LOGIN_JWT_PUBLIC_KEY   standard base64 of 32 raw Ed25519 bytes
  JWT_PRIVATE_KEY          64 bytes (Go's seed||public), matching JWT_PUBLIC_KEY
  CROSS_LOGIN_JWT_HS512_KEY  base64, at least 32 bytes

--env: checks the example app's environment: exactly one key source (JWT_PUBLIC_KEY,
JWT_PUBLIC_KEY_FILE, JWT_JWKS_URL, JWT_SECRET), or JWT_DISCOVERY=true and none of them (then
JWT_ISSUER must be an https URL, http on loopback, without query or fragment), JWT_ISSUER,
JWT_ALGORITHMS fitting the key, JWT_COOKIE_NAME, JWT_CLOCK_TOLERANCE, JWT_TOKEN_PROFILE (rfc9068
needs JWT_AUDIENCE or JWT_RESOURCE), JWT_VALIDATE_USERS with USERS_DB or DATABASE_URL,
USERS_FILE, CONFIG_FILE, PORT and the URLs; JWT_RESOURCE (an https URL, http on loopback,
without fragment or query) and whether JWT_AUDIENCE lists it; JWT_INTROSPECTION=true with
JWT_INTROSPECTION_CLIENT_ID (or JWT_CLIENT_ID), JWT_INTROSPECTION_CLIENT_SECRET,
JWT_INTROSPECTION_URL (or JWT_DISCOVERY=true) and JWT_INTROSPECTION_CACHE_TTL (seconds);
JWT_BACKCHANNEL_LOGOUT with JWT_CLIENT_ID (each refused without the other); REVOCATION_BUS with
REDIS_URL, DATABASE_URL or NATS_URL.

Options:
  --env            check the example app's environment instead of a config file
  --env-file F     read the variables from this .env file instead of the environment
  --json           { ok, problems: [{ severity, setting, message }] }
  -h, --help       this help

Exit code 1 when there is at least one error (warnings alone exit 0).

Examples:
  jwt-gate check-config /etc/cc-backend/config.json --env-file /etc/cc-backend/.env
  JWT_ISSUER=https://auth.example JWT_JWKS_URL=https://auth.example/jwks jwt-gate check-config --env
  JWT_ISSUER=https://auth.example JWT_DISCOVERY=true jwt-gate check-config --env
`

async function environment(io: CliIo, envFile: string | undefined) {
  if (envFile === undefined) return io.env
  const text = await readTextInput(io, envFile, 'env file (--env-file)')
  return parseEnv(text) as Record<string, string | undefined>
}

function report(io: CliIo, problems: ProblemList, json: boolean): void {
  if (json) {
    printJson(io, { ok: !problems.hasErrors, problems: problems.items })
    return
  }
  for (const p of problems.items) io.stdout(`${p.severity.padEnd(7)} ${p.setting}: ${p.message}\n`)
  const errors = problems.items.filter((p) => p.severity === 'error').length
  const warnings = problems.items.length - errors
  io.stdout(
    errors === 0
      ? `ok${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n`
      : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
  )
}

/**
 * JWT_RESOURCE: a resource identifier the library takes, and one the tokens can name. MCP clients
 * ask the authorization server for a token for the resource (RFC 8707), so its `aud` is the
 * resource; an explicit JWT_AUDIENCE without it refuses every such token: the "MCP client can't
 * connect" mismatch. A warning, as the app starts (an explicit audience wins on purpose).
 */
function checkResource(env: Env, problems: ProblemList): void {
  const resource = read(env, 'JWT_RESOURCE')
  if (resource === undefined) return
  // Any issuer and key will do: the probe asks the library about the resource alone.
  const refused = refusal(probeOptions({ secret: PROBE_SECRET }, {}, { resource }))
  if (refused !== undefined) {
    problems.error('JWT_RESOURCE', problemOf(refused))
    return
  }
  const audience = list(env, 'JWT_AUDIENCE', problems)
  if (audience !== undefined && !audience.includes(resource)) {
    problems.warning(
      'JWT_AUDIENCE',
      'does not list JWT_RESOURCE: tokens that MCP clients obtain for the resource (RFC 8707) ' +
        'carry it in "aud" and will all be refused (401 ERR_AUTH_AUDIENCE_INVALID). Add ' +
        'JWT_RESOURCE to JWT_AUDIENCE, or unset JWT_AUDIENCE to require the resource',
    )
  }
}

/** A probe key the library takes without a word (32 distinct bytes). */
const PROBE_SECRET = Uint8Array.from({ length: 32 }, (_, i) => i)

/** `jwt-gate check-config`. */
export const checkConfigCommand = defineCommand({
  name: 'check-config',
  summary: "validate a ClusterCockpit config.json jwts section, or the example app's env",
  help,
  options: { ...switchOptions('env', 'json'), ...valueOptions('env-file') },
  maxPositionals: 1,
  async run({ values, positionals }, io) {
    const [file] = positionals
    if (values.env === (file !== undefined)) {
      throw new UsageError('give either a config FILE or --env')
    }
    const env = await environment(io, values['env-file'])
    const problems = new ProblemList()
    if (values.env) {
      await checkExampleEnv(env, io.cwd, problems)
      checkResource(env, problems)
    } else {
      const text = await readTextInput(io, file ?? '-', 'config file')
      let config: unknown
      try {
        config = JSON.parse(text)
      } catch {
        problems.error(file ?? '-', 'is not valid JSON')
      }
      if (!problems.hasErrors) await checkJwtsConfig(config, env, problems)
    }
    report(io, problems, values.json)
    return problems.hasErrors ? EXIT.failed : EXIT.ok
  },
})
