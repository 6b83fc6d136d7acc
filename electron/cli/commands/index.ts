import type { Command } from '../command.ts';
import { boxes } from './boxes.ts';
import { exec } from './exec.ts';
import { keys } from './keys.ts';
import { later } from './later.ts';
import { put } from './put.ts';
import { trust } from './trust.ts';
import { ui } from './ui.ts';

/** Every command of `fieldlink`, in the order --help lists them. */
export const commands: Command[] = [boxes, trust, exec, put, keys, ...later, ui];
