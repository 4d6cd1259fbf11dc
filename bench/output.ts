/**
 * Writes result files already formatted by the repository's Prettier settings, so that committed
 * results pass `prettier --check` like any other file.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import * as prettier from 'prettier'

/** Formats Markdown or JSON by the file's extension (other files are written as they are). */
export async function writeResult(file: string, text: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true })
  let output = text
  if (/\.(md|json)$/.test(file)) {
    const config = (await prettier.resolveConfig(file)) ?? {}
    output = await prettier.format(text, { ...config, filepath: file })
  }
  writeFileSync(file, output)
}
