/**
 * Two kinds of failure: an ActionError is the user's to fix (it names the
 * input, package, file or function and says what to do); anything else is a
 * bug of the action, reported with its stack so it can be fixed.
 */

/** An error the user can act on. Thrown by validation and by every phase. */
export class ActionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ActionError'
  }
}

/** Turns anything thrown into a message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

/** What a failed run reports: the message for the step, and the stack for a bug. */
export function describeFailure(error: unknown): { message: string; stack?: string } {
  if (error instanceof ActionError) return { message: error.message }
  const message = `Unexpected error (a bug in this action; please report it with this log): ${errorMessage(error)}`
  return { message, stack: error instanceof Error ? error.stack : undefined }
}
