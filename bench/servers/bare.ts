/** Bare Express 5 with no authentication: the ceiling every other server is measured against. */
import { benchApp, serve } from './common.js'

serve(benchApp(() => 'anonymous'))
