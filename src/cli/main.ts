#!/usr/bin/env node
/**
 * Entry point of the `jwt-gate` binary (`package.json` `bin`). Everything lives in
 * {@link runCli}; this file only binds it to the real process.
 *
 * @module
 */
import { nodeIo } from './io.js'
import { runCli } from './run.js'
import { routeLibraryWarnings } from './warnings.js'

const io = nodeIo()
routeLibraryWarnings(io)
process.exitCode = await runCli(process.argv.slice(2), io)
