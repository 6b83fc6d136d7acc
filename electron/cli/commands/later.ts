import type { Command } from '../command.ts';

/**
 * Commands of the DESIGN.md contract whose capability comes in a later issue. They are listed in
 * --help with their real synopsis, and say plainly that they are not built yet (exit 2).
 */
export const later: Command[] = [{ name: 'provision', usage: 'TARGET… --profile FILE [--dry-run] [--parallel N]', summary: 'bring boxes to a profile', comingIn: 'provisioning' }];
