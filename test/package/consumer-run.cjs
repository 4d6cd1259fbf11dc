/* global module, process, console, fetch */
// Shared body of the packaging smoke test's consumers (scripts/pack-smoke.sh). The ESM and the
// CommonJS consumer differ only in how they load jwt-gate, express, cookie-parser and jose, and
// pass them in; this part runs an app on loopback and checks real HTTP answers.
const ISSUER = 'https://issuer.test'

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`)
}

async function runConsumer({ gate, memory, express, cookieParser, jose, label }) {
  const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA')
  const other = await jose.generateKeyPair('EdDSA')
  const jwk = await jose.exportJWK(publicKey)

  const app = express()
  app.use(cookieParser())
  app.use(
    '/api',
    gate.authenticate({
      issuers: [{ issuer: ISSUER, key: { jwk } }],
      cookie: { name: 'access_cc' },
    }),
  )
  // A subpath entry point: the user check against the memory store.
  app.use(
    '/db',
    gate.authenticate({
      issuers: [{ issuer: ISSUER, key: { jwk } }],
      users: { store: memory.createMemoryUserStore([{ username: 'alice', roles: ['user'] }]) },
    }),
  )
  app.get('/db/me', (req, res) => res.json({ roles: req.auth.roles }))
  let ran = 0
  app.get('/api/me', gate.requireRoles('user'), (req, res) => {
    ran++
    res.json({ sub: req.auth.subject, source: req.auth.source })
  })
  app.get('/api/admin', gate.requireRoles('admin'), (_req, res) => {
    ran++
    res.json({ admin: true })
  })
  app.use(gate.authErrorHandler())

  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject))
  const base = `http://127.0.0.1:${server.address().port}`
  const sign = (key, subject = 'alice') =>
    new jose.SignJWT({ roles: ['user'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key)
  const token = await sign(privateKey)
  const get = (path, headers = {}) => fetch(base + path, { headers })

  try {
    const none = await get('/api/me')
    check(none.status === 401, `no token: 401 (got ${none.status})`)
    check(
      (none.headers.get('www-authenticate') ?? '').startsWith('Bearer realm='),
      'no token: WWW-Authenticate challenge',
    )

    const bearer = await get('/api/me', { authorization: `Bearer ${token}` })
    check(bearer.status === 200, `bearer token: 200 (got ${bearer.status})`)
    const body = await bearer.json()
    check(body.sub === 'alice' && body.source === 'header', 'bearer token: req.auth')

    const cookie = await get('/api/me', { cookie: `access_cc=${token}` })
    check(cookie.status === 200, `cookie token: 200 (got ${cookie.status})`)
    check((await cookie.json()).source === 'cookie', 'cookie token: source')

    const admin = await get('/api/admin', { authorization: `Bearer ${token}` })
    check(admin.status === 403, `missing role: 403 (got ${admin.status})`)

    const forged = await get('/api/me', { authorization: `Bearer ${await sign(other.privateKey)}` })
    check(forged.status === 401, `other key: 401 (got ${forged.status})`)
    check(
      (forged.headers.get('www-authenticate') ?? '').includes('error="invalid_token"'),
      'other key: invalid_token',
    )
    const known = await get('/db/me', { authorization: `Bearer ${token}` })
    check(known.status === 200, `user store, known user: 200 (got ${known.status})`)
    const unknown = await get('/db/me', {
      authorization: `Bearer ${await sign(privateKey, 'mallory')}`,
    })
    check(unknown.status === 401, `user store, unknown user: 401 (got ${unknown.status})`)

    check(ran === 2, `protected handlers ran exactly twice (ran ${ran})`)
  } finally {
    server.close()
  }
  console.log(`${label}: ok`)
}

/** Runs the checks; exits non-zero on any failure. */
module.exports = function run(deps) {
  runConsumer(deps).catch((err) => {
    console.error(`${deps.label}: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  })
}
