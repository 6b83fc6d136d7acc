export { createLogger, detailsInLog, logFileOf, logFilePath, SECRET_KEYS, type Logger, type LoggerOptions } from './logger.ts';
export { RotatingFile, type RotatingFileOptions } from './file.ts';
