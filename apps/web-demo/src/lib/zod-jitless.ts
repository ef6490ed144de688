import { z } from "zod";

// Imported before anything that builds a schema: zod's JIT compiles parsers with `new Function`, which the
// page's Content-Security-Policy (no 'unsafe-eval') forbids.
z.config({ jitless: true });
