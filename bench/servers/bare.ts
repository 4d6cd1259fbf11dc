/** Bare Express 5: the ceiling every other server is measured against. */
import express from 'express'
import { mountStats, protectedRoute, serve } from './common.js'

const app = express()
mountStats(app)
app.get(
  '/',
  protectedRoute(() => 'anonymous'),
)
serve(app)
