export { createWebSocketClient, type WebSocketClient, type WebSocketClientOptions, type SocketLike } from './websocket.ts';
export { createIpcClient, type IpcClient } from './ipc.ts';
export { createConnectionStore, type ConnectionState, type ConnectionStatus, type ConnectionStore } from './connection.ts';
export { takeSessionToken } from './token.ts';
export { API_PATH } from '../../shared/wire.ts';
