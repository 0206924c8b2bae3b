import type { ChildProcess } from 'node:child_process'

/** Starts moto_server on a free loopback port; resolves once it answers. */
export function startMoto(): Promise<{ endpoint: string; child: ChildProcess }>
export function setup(): Promise<void>
export function teardown(): Promise<void>
