/** Bare Express 5 with no authentication: the ceiling every other server is measured against. */
import express from 'express'
import { mountCpu, protectedRoute, serve } from './common.js'

const app = express()
mountCpu(app)
app.get(
  '/',
  protectedRoute(() => 'anonymous'),
)
serve(app)
