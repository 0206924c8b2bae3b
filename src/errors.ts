/** Turns anything thrown into a message for core.setFailed. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

/**
 * An error the user can act on: it names the input or package at fault.
 * Thrown by validation and by every phase; run() prints it as `::error::`.
 */
export class ActionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ActionError'
  }
}
