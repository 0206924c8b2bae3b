/**
 * PEP 503 normalized name: "Typing_Extensions" → "typing-extensions". The
 * same rule names extras (PEP 685) and dependency groups (PEP 735).
 */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}
