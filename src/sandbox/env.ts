/**
 * The environment of every process that runs package code, by allow-list:
 * a variable reaches package code only when it is named here. Everything
 * else of the job's environment (AWS credentials, the runner's OIDC and
 * runtime tokens, GITHUB_TOKEN, the runner's command files GITHUB_ENV,
 * GITHUB_OUTPUT, ..., the action's inputs, any secret a workflow put in
 * `env:`) stays with the action.
 *
 * Two profiles:
 * - `code` (the import smoke test, compileall, probes of interpreters and
 *   tools): locale, time zone, PATH and the reproducibility switches only;
 * - `install` (pip, uv and the builds they run): also what an installer
 *   needs to reach an index: its own settings (PIP_*, UV_*, which may carry
 *   index credentials the user gave them on purpose), proxies, certificate
 *   bundles, and the compiler settings a source build reads.
 *
 * The action adds its own variables (index URL, caches, TMPDIR) after this
 * filter, per call.
 */

export type EnvProfile = 'install' | 'code'

/** Variables every process gets from the job's environment. */
const COMMON = new Set(['PATH', 'LANG', 'LANGUAGE', 'TZ', 'SOURCE_DATE_EPOCH'])
const COMMON_PREFIX = /^LC_[A-Z]+$/

/** What an installer needs besides its own variables. */
const INSTALL = new Set([
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  // A source build's compiler settings.
  'CC',
  'CXX',
  'CFLAGS',
  'CXXFLAGS',
  'CPPFLAGS',
  'LDFLAGS',
  'PKG_CONFIG_PATH',
  'MAKEFLAGS',
  'CMAKE_ARGS',
  'CMAKE_BUILD_PARALLEL_LEVEL'
])

/** Installer settings: pip's and uv's own variables. */
const INSTALLER = /^(PIP|UV)_/

/** Installer variables that are about publishing, not installing: never passed. */
const PUBLISHING = /^UV_PUBLISH_/

/** Whether the job's variable `name` reaches a process of `profile`. */
export function passes(name: string, profile: EnvProfile): boolean {
  if (COMMON.has(name) || COMMON_PREFIX.test(name)) return true
  if (profile === 'code') return false
  if (INSTALL.has(name)) return true
  return INSTALLER.test(name) && !PUBLISHING.test(name)
}

/** The part of `base` a process of `profile` may see. */
export function packageCodeEnv(
  base: NodeJS.ProcessEnv = process.env,
  profile: EnvProfile = 'install'
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && passes(name, profile)) env[name] = value
  }
  return env
}

/** The environment of the import smoke test, compileall and probes. */
export function codeEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return packageCodeEnv(base, 'code')
}

/** Variables the action itself sets for a program (PYTHONPATH of a tool, PYTHONHASHSEED, TMPDIR). */
const ACTION_SET = /^(PYTHON[A-Z_]*|TMPDIR)$/

/**
 * The environment a sandboxed program starts with: what its caller gave,
 * less anything the profile does not allow. Whatever a caller passes, no
 * credential, runner token or command file of the job gets through.
 */
export function programEnv(env: NodeJS.ProcessEnv, profile: EnvProfile): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (passes(name, profile) || ACTION_SET.test(name))) out[name] = value
  }
  return out
}
