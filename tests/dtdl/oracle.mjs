// The reference DTDL parser (DTDLParser as WebAssembly, npm @digicatapult/dtdl-parser) as a line filter:
// each stdin line is a JSON array of document texts forming one model set; each stdout line is
// {"valid": bool, "error": string|null} for it, in order. Used by tests/dtdl/oracle.py.
// With DTDL_ORACLE_TIMING=1 the sets are parsed a second time, timed (the first pass warms the
// WebAssembly runtime up), and a last line gives {"elapsed_ms": ...} for that second pass.
import { createInterface } from 'node:readline';
import { getInterop } from '@digicatapult/dtdl-parser';

const parser = await getInterop();

function verdict(texts) {
  try {
    const documents = texts.map((text) => JSON.parse(text));
    if (documents.some((d) => d === null || typeof d !== 'object')) throw new Error('a document is not an object or array');
    const flat = documents.flatMap((d) => (Array.isArray(d) ? d : [d]));
    parser.parse(JSON.stringify(flat));
    return { valid: true, error: null };
  } catch (err) {
    return { valid: false, error: String(err && err.message ? err.message : err).slice(0, 2000) };
  }
}

const sets = [];
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const texts = JSON.parse(line);
  sets.push(texts);
  process.stdout.write(JSON.stringify(verdict(texts)) + '\n');
}
if (process.env.DTDL_ORACLE_TIMING === '1') {
  const started = performance.now();
  for (const texts of sets) verdict(texts);
  process.stdout.write(JSON.stringify({ elapsed_ms: performance.now() - started }) + '\n');
}
