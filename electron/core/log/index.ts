export { createLogger, SECRET_KEYS, type Logger } from './logger.ts';
