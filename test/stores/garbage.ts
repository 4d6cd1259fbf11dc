/** Rows of the wrong shape, shared by the SQL adapters' garbage tests. */
export const GARBAGE_ROWS: { label: string; roles: unknown; disabled: unknown; name: unknown }[] = [
  { label: 'roles not JSON', roles: 'admin', disabled: 0, name: null },
  { label: 'roles an object', roles: { admin: true }, disabled: 0, name: null },
  { label: 'roles with numbers', roles: [1, 2], disabled: 0, name: null },
  { label: 'roles with null', roles: ['user', null], disabled: 0, name: null },
  { label: 'roles a JSON string', roles: '"admin"', disabled: 0, name: null },
  { label: 'roles null', roles: null, disabled: 0, name: null },
  { label: 'disabled a word', roles: '[]', disabled: 'yes', name: null },
  { label: 'disabled 2', roles: '[]', disabled: 2, name: null },
  { label: 'name a number', roles: '[]', disabled: 0, name: 42 },
]
