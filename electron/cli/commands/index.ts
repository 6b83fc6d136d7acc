import type { Command } from '../command.ts';
import { artifacts } from './artifacts.ts';
import { boxes } from './boxes.ts';
import { discover } from './discover.ts';
import { exec } from './exec.ts';
import { health } from './health.ts';
import { keys } from './keys.ts';
import { kubeconfig } from './kubeconfig.ts';
import { logs } from './logs.ts';
import { profile } from './profile.ts';
import { provision } from './provision.ts';
import { put } from './put.ts';
import { trust } from './trust.ts';
import { ui } from './ui.ts';

/** Every command of `fieldlink`, in the order --help lists them. */
export const commands: Command[] = [boxes, discover, trust, exec, put, keys, health, kubeconfig, profile, provision, artifacts, logs, ui];
