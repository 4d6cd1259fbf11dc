/**
 * Claims schemas: the default and the presets for well-known issuers. They run after the signature
 * and the registered claims are checked, and type `req.auth.claims`.
 *
 * @module
 */
import { z } from 'zod'

const nonEmpty = z.string().min(1)

/** Any verified token: a non-empty `sub`, everything else kept as it came. */
export const defaultClaims = z.looseObject({ sub: nonEmpty })

/**
 * ClusterCockpit tokens: `sub` is the username; `roles` a list of role names, optional as in
 * cc-backend (absent is an empty list: with the user check on, roles come from the database);
 * `name` (a string or `{ values: [...] }`) and `projects` are optional.
 */
export const clusterCockpitClaims = z.looseObject({
  sub: nonEmpty,
  roles: z.array(z.string()).default(() => []),
  name: z.union([z.string(), z.looseObject({ values: z.array(z.string()) })]).optional(),
  projects: z.array(z.string()).optional(),
})

/**
 * Auth-O-Tron tokens: `sub` is `{realm}-{username}`; `scopes` is a map of string arrays (the code
 * emits a map although its docs say array, so both are accepted); `attributes` a string map.
 */
export const authOTronClaims = z.looseObject({
  sub: nonEmpty,
  username: nonEmpty,
  realm: nonEmpty,
  roles: z.array(z.string()),
  scopes: z.union([z.record(z.string(), z.array(z.string())), z.array(z.string())]).optional(),
  attributes: z.record(z.string(), z.string()).optional(),
})

/** The claims type of the ClusterCockpit preset. */
export type ClusterCockpitClaims = z.infer<typeof clusterCockpitClaims>
/** The claims type of the Auth-O-Tron preset. */
export type AuthOTronClaims = z.infer<typeof authOTronClaims>
