/** passport-jwt (jsonwebtoken) with the key as text, as its documentation configures it. */
import passport from 'passport'
import { ExtractJwt, Strategy } from 'passport-jwt'
import { readPublicFixture } from '../fixture.js'
import { benchAlgorithm, benchApp, serve } from './common.js'

const fixture = readPublicFixture()
const alg = benchAlgorithm()
if (alg === 'EdDSA') throw new Error('passport-jwt (jsonwebtoken) cannot verify EdDSA')
const material = fixture.keys[alg]

passport.use(
  new Strategy(
    {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: alg === 'HS256' ? material.secret! : material.pem!,
      algorithms: [alg],
      issuer: fixture.issuer,
      audience: fixture.audience,
    },
    (payload: { sub?: string }, done: (error: null, user: { sub?: string }) => void) => {
      done(null, payload)
    },
  ),
)

const subjectOf = (req: Express.Request) => (req.user as { sub?: string } | undefined)?.sub
serve(benchApp(subjectOf, passport.initialize(), passport.authenticate('jwt', { session: false })))
