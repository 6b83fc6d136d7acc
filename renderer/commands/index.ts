export { STATIC_COMMANDS, paletteResults, shortcutFor, type Command, type CommandAction, type KeyLike } from './commands.ts';
export { runCommand } from './run.ts';
