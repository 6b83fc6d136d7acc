import type { Command } from '../command.ts';
import { boxes } from './boxes.ts';
import { later } from './later.ts';
import { ui } from './ui.ts';

/** Every command of `fieldlink`, in the order --help lists them. */
export const commands: Command[] = [boxes, ...later, ui];
