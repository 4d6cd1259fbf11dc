// One linter for the whole tree; Prettier owns formatting (see .prettierrc.json).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// What each boundary forbids, and why. `boundaries(files, allowed)` forbids all of it in `files`
// except the entries named in `allowed`.
const RESTRICTED = {
  express: {
    paths: [{ name: 'express', allowTypeImports: false }],
    patterns: [{ group: ['express/*'] }],
    message: 'Only src/express/ may import express: the core stays framework-free.',
  },
  zod: {
    paths: [{ name: 'zod' }],
    patterns: [{ group: ['zod/*'] }],
    message:
      'Only src/options/ (and the claims presets) may import zod: options are validated in one place.',
  },
  jose: {
    // Types from jose (JWK, JWTHeaderParameters) are fine anywhere; its runtime is not.
    paths: [{ name: 'jose', allowTypeImports: true }],
    patterns: [],
    message:
      "Only src/keys/remote-jwks.ts may use jose's runtime (JWKS fetching): the verify path is src/jws/, tested against jose.",
  },
  crypto: {
    paths: [{ name: 'node:crypto' }, { name: 'crypto' }],
    patterns: [],
    message:
      'Only src/jws/ (signatures, hashing), src/keys/ (key import, secret checks) and src/dpop/ (proof keys, thumbprints, nonces) may import node:crypto.',
  },
  expressLayer: {
    paths: [],
    patterns: [{ group: ['**/express/*', '**/express/**'] }],
    message:
      'Only src/index.ts may import the Express layer (src/express/): the core stays framework-free.',
  },
  cliLayer: {
    paths: [],
    patterns: [{ group: ['**/cli/*', '**/cli/**'] }],
    message:
      'Nothing in the library may import the CLI (src/cli/): it is a tool built on the library.',
  },
}

/**
 * One config block forbidding every entry of RESTRICTED except `allowed` in `files`. With
 * `stores` (the relative path from those files up to src/), it also keeps src/stores/ free of the
 * core: a store adapter may import only errors.ts from outside src/stores/. With `publicApi`
 * (likewise), the files may import nothing of src/ but the package's public barrel, index.ts.
 */
function boundaries(files, allowed, { stores, publicApi } = {}) {
  const paths = []
  const patterns = []
  for (const [key, { paths: p, patterns: g, message }] of Object.entries(RESTRICTED)) {
    if (allowed.includes(key)) continue
    paths.push(...p.map((entry) => ({ ...entry, message })))
    patterns.push(...g.map((entry) => ({ ...entry, message })))
  }
  if (stores !== undefined) {
    patterns.push({
      group: [`${stores}/*`, `!${stores}/stores`, `!${stores}/errors.js`],
      message:
        'src/stores/ holds the adapters behind the store contracts: they may import errors.ts, nothing else of the core.',
    })
  }
  if (publicApi !== undefined) {
    patterns.push({
      group: [`${publicApi}/*`, `!${publicApi}/index.js`],
      message:
        "The CLI uses only jwt-gate's public API (src/index.ts), as any user of the package does: " +
        'it asks the library (createAuthenticator) instead of importing its rules.',
    })
  }
  return [
    {
      files,
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
    },
  ]
}

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'docs/api/**', 'node_modules/**', 'example-app/.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  // Architecture boundaries (issue 22): each folder of src/ imports only what its job needs, so
  // that a rule is found in one place. Every block below restates the whole list for its files
  // (a later block replaces the rule's options of an earlier one), minus what those files may use.
  ...boundaries(['src/**/*.ts'], []),
  ...boundaries(['src/index.ts'], ['expressLayer']),
  ...boundaries(['src/express/**/*.ts'], ['express', 'expressLayer']),
  ...boundaries(['src/options/**/*.ts'], ['zod']),
  // The claims presets are zod schemas a user may extend; they are part of the public API.
  ...boundaries(['src/claims/presets.ts'], ['zod']),
  ...boundaries(['src/jws/**/*.ts', 'src/keys/**/*.ts', 'src/dpop/**/*.ts'], ['crypto']),
  ...boundaries(['src/keys/remote-jwks.ts'], ['crypto', 'jose']),
  // Token introspection hashes tokens for its cache keys and signs client assertions (RFC 7523).
  ...boundaries(['src/introspection/**/*.ts'], ['crypto']),
  ...boundaries(['src/stores/*.ts'], [], { stores: '..' }),
  ...boundaries(['src/stores/*/*.ts'], [], { stores: '../..' }),
  // The replay stores keep a fixed-length digest of each client-chosen key (issue 24).
  ...boundaries(['src/stores/replay-key.ts'], ['crypto'], { stores: '..' }),
  // The CLI is a user of the library (issue 22, point 8): from src/ it imports index.ts only. It
  // generates, converts and inspects keys (node:crypto) and signs test tokens with jose's SignJWT,
  // which the verifying core never needs.
  ...boundaries(['src/cli/**/*.ts'], ['crypto', 'cliLayer'], { publicApi: '..' }),
  ...boundaries(['src/cli/sign.ts'], ['crypto', 'cliLayer', 'jose'], { publicApi: '..' }),
  {
    // The house's size limits (issue 22): a file has one reason to change and a function reads
    // on one screen. A longer one is split into named steps rather than let through.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests poke at untyped JSON bodies on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // In-test stores implement async contracts without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
)
