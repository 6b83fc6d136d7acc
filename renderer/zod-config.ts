import { z } from 'zod';

// The UI runs under a CSP without 'unsafe-eval'. zod probes `new Function` to decide whether to
// compile fast parsers, and Chromium reports that probe as a CSP violation even though zod catches
// it; jitless skips the probe. Imported first by main.tsx, before any schema parses anything.
z.config({ jitless: true });
