// The reference DTDL parser (DTDLParser as WebAssembly, npm @digicatapult/dtdl-parser) as a line filter:
// each stdin line is a JSON array of document texts forming one model set; each stdout line is
// {"valid": bool, "error": string|null} for it, in order. Used by tests/dtdl/oracle.py.
import { createInterface } from 'node:readline';
import { getInterop } from '@digicatapult/dtdl-parser';

const parser = await getInterop();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let started = null;
for await (const line of lines) {
  started ??= performance.now();
  if (!line.trim()) continue;
  const texts = JSON.parse(line);
  let out;
  try {
    const documents = texts.map((text) => JSON.parse(text));
    if (documents.some((d) => d === null || typeof d !== 'object')) throw new Error('a document is not an object or array');
    const flat = documents.flatMap((d) => (Array.isArray(d) ? d : [d]));
    parser.parse(JSON.stringify(flat));
    out = { valid: true, error: null };
  } catch (err) {
    out = { valid: false, error: String(err && err.message ? err.message : err).slice(0, 2000) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
// With DTDL_ORACLE_TIMING=1 a last line gives the time spent parsing (after the WebAssembly start-up).
if (process.env.DTDL_ORACLE_TIMING === '1') {
  process.stdout.write(JSON.stringify({ elapsed_ms: started === null ? 0 : performance.now() - started }) + '\n');
}
