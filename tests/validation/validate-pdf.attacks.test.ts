/**
 * The attack corpus (attack-corpus.ts) against validatePdf: every manipulated file is
 * FAILED with the expected sub-indication, while the naive signed-revision-only check
 * accepts the attacks that fooled real viewers. Also: the untouched signed files pass, so
 * the failures are the attacks' doing. VALIDATION_CORPUS_TABLE=1 prints the verdicts as a table;
 * VALIDATION_CORPUS_DIR=<dir> writes the files (attack-corpus.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPdf } from '../../src/pades/sign-pdf.js';
import { validatePdf } from '../../src/validation/validate-pdf.js';
import { makePadesFixtures, type PadesFixtures } from '../pades/fixtures.js';
import { missingTool } from '../support/outside-tools.js';
import { buildAttackCorpus, type AttackCase } from './attack-corpus.js';
import { naiveCheck, policyFor } from './validation-fixtures.js';

const missing = missingTool('openssl');

describe.skipIf(missing)('the attack corpus', () => {
  let f: PadesFixtures;
  let corpus: AttackCase[];

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: false });
    corpus = await buildAttackCorpus(f);
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('covers every attack class', () => {
    const categories = new Set(corpus.map((c) => c.category));
    expect([...categories].sort()).toEqual(['ISA', 'SWA', 'USF', 'shadow', 'tampering']);
    expect(corpus.filter((c) => c.category === 'shadow').map((c) => c.name)).toEqual(
      expect.arrayContaining(['shadow-hide-overlay', 'shadow-replace-font-encoding', 'shadow-hide-and-replace-catalog', 'shadow-hide-and-replace-repoint']),
    );
  });

  it('the unmodified signed files pass, and so does the naive check', async () => {
    for (const pdf of [f.pdfs.classic, f.pdfs.objectStreams]) {
      const signed = await signPdf({ pdf, signer: f.signer(f.seal), level: 'B-B', services: f.services, signingTime: f.now });
      const report = await validatePdf(signed, policyFor(f));
      expect(report.indication, JSON.stringify(report.signatures[0]?.errors)).toBe('PASSED');
      expect((await naiveCheck(signed)).passes).toBe(true);
    }
  });

  it('every attack is FAILED with the expected sub-indication, and the naive check is fooled where the corpus says', async () => {
    const table: string[] = [];
    for (const attack of corpus) {
      const report = await validatePdf(attack.pdf, policyFor(f));
      const naive = await naiveCheck(attack.pdf);
      const failedSignature = report.signatures.find((s) => s.indication === 'FAILED');
      table.push(`${attack.name.padEnd(36)} ${report.indication.padEnd(13)} ${(failedSignature?.subIndication ?? '').padEnd(24)} naive=${naive.passes}  ${failedSignature?.errors[0] ?? report.warnings.join('; ')}`);
      expect(report.indication, `${attack.name}: ${JSON.stringify(report.signatures.map((s) => s.errors))}`).toBe('FAILED');
      expect(failedSignature?.subIndication, `${attack.name}: ${JSON.stringify(failedSignature?.errors)}`).toBe(attack.subIndication);
      expect(naive.passes, `${attack.name}: naive check ${JSON.stringify(naive.reasons)}`).toBe(attack.naivePasses);
    }
    if (process.env.VALIDATION_CORPUS_TABLE) console.log(table.join('\n'));
  });

  it('explains ISA and shadow failures by the offending objects', async () => {
    const byName = new Map(corpus.map((c) => [c.name, c]));
    const explain = async (name: string) => {
      const report = await validatePdf(byName.get(name)!.pdf, policyFor(f));
      const signature = report.signatures[0]!;
      expect(signature.modificationsAfter.classification).toBe('disallowed');
      return signature.modificationsAfter.changes.filter((c) => !c.allowed);
    };
    expect((await explain('isa-redefine-page-content'))[0]).toMatchObject({ kind: 'page-content', revision: 2 });
    expect((await explain('isa-change-font'))[0]!.description).toMatch(/page content or resources/);
    expect((await explain('isa-open-action-javascript'))[0]!.description).toMatch(/OpenAction/);
    expect((await explain('isa-names-javascript'))[0]!.description).toMatch(/Names/);
    expect((await explain('isa-add-page'))[0]!.kind).toBe('page');
    expect((await explain('annotation-added')).map((c) => c.kind)).toContain('annotation');
    expect((await explain('deleted-font'))[0]).toMatchObject({ kind: 'deleted-object' });
    expect((await explain('shadow-hide-and-replace-catalog'))[0]!.description).toMatch(/another document catalog/);
    expect((await explain('shadow-hide-and-replace-repoint'))[0]!.description).toMatch(/page 1: .*\/Contents.* changed/);
    expect((await explain('shadow-hide-overlay'))[0]!.kind).toBe('page-content');
  });

  it('never throws on a manipulated file and always returns a frozen report', async () => {
    for (const attack of corpus) {
      const report = await validatePdf(attack.pdf, policyFor(f));
      expect(Object.isFrozen(report)).toBe(true);
      expect(Object.isFrozen(report.signatures[0]!.modificationsAfter.changes)).toBe(true);
    }
  });
});
