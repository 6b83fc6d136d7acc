/**
 * Box-supplied text on screen goes through the one sanitiser in shared/text.ts (the command line uses
 * the same): escapes, controls, bidi and zero-width characters removed, the length bounded. React
 * already renders it as text, never markup; this stops it from spoofing the screen.
 */
export { safeText, safeLines, MAX_SHOWN } from '../../shared/text.ts';
