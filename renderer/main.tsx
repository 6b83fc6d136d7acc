import './zod-config.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, paintRememberedTheme } from './App.tsx';
import { startStore } from './stores/index.ts';
import './styles/fonts.css';
import './styles/app.css';

paintRememberedTheme();
void startStore();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
