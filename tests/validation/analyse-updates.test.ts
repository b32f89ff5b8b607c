/**
 * analyseUpdates: what each incremental update changed. Its use: a signing service checks
 * the update it appended. The case that motivates it: pdf-lib (which our signer reads with)
 * keeps the last of two definitions of an object in file order, readers follow the
 * cross-reference table; so a crafted input that every reader shows as "retail" comes out of
 * signPdf sealed as "anything". The seal then really covers "anything" (validatePdf rightly
 * says PASSED); only a look at the signer's own update shows the page was rewritten.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPdf } from '../../src/pades/sign-pdf.js';
import { analyseUpdates, validatePdf } from '../../src/validation/validate-pdf.js';
import { makePadesFixtures, type PadesFixtures } from '../pades/fixtures.js';
import { missingTool } from '../support/outside-tools.js';
import { pageDefinedTwicePdf } from './attack-corpus.js';
import { policyFor } from './validation-fixtures.js';

const execFileAsync = promisify(execFile);
const missing = missingTool('openssl') || missingTool('pdftotext');

describe.skipIf(missing)('analyseUpdates', () => {
  let f: PadesFixtures;
  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: false });
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  const text = async (pdf: Uint8Array, name: string) => {
    const file = path.join(f.dir, name);
    await writeFile(file, pdf);
    return (await execFileAsync('pdftotext', [file, '-'])).stdout.trim();
  };

  it('finds only signature changes in what our signer appends to an ordinary file', async () => {
    const sealed = await signPdf({ pdf: f.pdfs.classic, signer: f.signer(f.seal), level: 'B-LTA', services: f.services, signingTime: f.now });
    const { revisions, changes } = analyseUpdates(sealed);
    expect(revisions).toBe(4);
    expect(changes.every((change) => change.allowed)).toBe(true);
    expect(new Set(changes.map((change) => change.kind))).toEqual(new Set(['signature', 'dss', 'document-timestamp']));
  });

  it('shows the signer rewrote a page from a definition no reader showed (duplicate object definitions)', async () => {
    const input = await pageDefinedTwicePdf();
    const sealed = await signPdf({ pdf: input, signer: f.signer(f.seal), level: 'B-B', signingTime: f.now });

    expect(await text(input, 'duplicate-input.pdf')).toBe('Permitted activity: retail');
    expect(await text(sealed, 'duplicate-sealed.pdf')).toBe('Permitted activity: anything');
    expect((await validatePdf(sealed, policyFor(f))).indication).toBe('PASSED');

    const { changes } = analyseUpdates(sealed);
    expect(changes.find((change) => !change.allowed)).toMatchObject({ kind: 'page', revision: 1, description: expect.stringMatching(/page 1: .*\/Contents/) });
  });
});
