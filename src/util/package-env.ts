/**
 * The environment of every process that runs package code: pip and its
 * build backends (setup.py), compileall, the smoke test's imports. It is the
 * job's environment without what would let that code act as the job: AWS
 * credentials, the runner's OIDC and runtime tokens (with which any code could
 * mint a token and assume the deploy role), the action's own inputs, and any
 * variable whose name says it holds a token, secret, password or key.
 *
 * What an installer needs stays: its own variables (PIP_*, UV_*, which may
 * carry index credentials the user gave it on purpose), proxies, certificate
 * bundles, and the rest of the environment (PATH, HOME, locale, region).
 */

/** Installer variables: kept even when their name says token or password. */
const INSTALLER = /^(PIP_|UV_|PYTHON)/

/** What git needs for `git+ssh://` requirements: the agent's socket, not a key. */
const KEPT = new Set(['SSH_AUTH_SOCK'])

/** Kept from the AWS_* family: where, not who. */
const AWS_KEPT = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION'])

const SECRET_NAME =
  /TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|AUTH|SESSION|COOKIE|OIDC/i

/** Why a variable is withheld from package code, or undefined when it is passed on. */
export function withheldBecause(name: string): string | undefined {
  if (name.startsWith('AWS_'))
    return AWS_KEPT.has(name) ? undefined : 'AWS credentials and settings'
  if (name.startsWith('ACTIONS_')) return 'runner tokens and service URLs'
  if (name.startsWith('INPUT_')) return "the action's inputs"
  if (INSTALLER.test(name) || KEPT.has(name)) return undefined
  if (SECRET_NAME.test(name)) return 'its name marks a secret'
  return undefined
}

/** `base` without the variables package code must not see. */
export function packageCodeEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && withheldBecause(name) === undefined) env[name] = value
  }
  return env
}
