/**
 * The bootstrap (instance admin) password rule, shared by the bootstrap route and `kms-server apply`
 * so a file is refused before anything is sent: at least 12 characters, and not a placeholder
 * copied from a guide (`…`, `<password>`, one character repeated).
 */
export const BOOTSTRAP_PASSWORD_MIN_LENGTH = 12;

/** Why a bootstrap password is refused, or undefined when it is acceptable. Never echoes the value. */
export function bootstrapPasswordProblem(password: string): string | undefined {
  const value = password.trim();
  if (value.includes('…') || /^<.*>$/.test(value) || /^(.)\1*$/.test(value))
    return 'looks like a placeholder from a guide; choose a real password';
  if ([...value].length < BOOTSTRAP_PASSWORD_MIN_LENGTH)
    return `must be at least ${BOOTSTRAP_PASSWORD_MIN_LENGTH} characters`;
  return undefined;
}
