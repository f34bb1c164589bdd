#!/usr/bin/env node
// check-stream.mjs — a long-running conformance checker for the test suite (our code).
// Reads one JSON request per line on stdin: {"id": <n>, "envelope": "<base64 of the raw, uncompressed envelope bytes>"}
// and answers one JSON line per request on stdout:
//   {"id": <n>, "parse": {"exitCode": 0|1|2, "errors": [...]}, "events": [{"valid": bool, "errors": [...]}]}
// "parse" is the verdict of Sentry's own envelope parser (@sentry/core) plus Relay's framing rules
// (parse-envelope.mjs); "events" validates every `event` item against Relay's event schema (validate-event.mjs), after
// the same normalisation validate-event.mjs applies (bare `breadcrumbs`/`exception`/`threads` arrays, which Relay
// accepts, wrapped in {"values": [...]}, the only form the schema models).
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvelopeBytes } from './parse-envelope.mjs';
import { makeValidator, normalizeValueContainers, simplifyErrors } from './validate-event.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const validate = makeValidator(join(here, 'schema', 'event.schema.json'));

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id;
    const bytes = Buffer.from(request.envelope, 'base64');
    const parsed = parseEnvelopeBytes(bytes, { strict: true });
    const events = [];
    for (const item of parsed.result?.items ?? []) {
      if (item.header?.type !== 'event') continue;
      const valid = validate(normalizeValueContainers(item.payload));
      events.push({ valid, errors: valid ? [] : simplifyErrors(validate.errors).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params ?? {})}`) });
    }
    process.stdout.write(JSON.stringify({ id, parse: { exitCode: parsed.exitCode, errors: parsed.errors }, events }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, parse: { exitCode: 3, errors: [String(e?.stack ?? e)] }, events: [] }) + '\n');
  }
}
