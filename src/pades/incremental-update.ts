/**
 * An incremental update (ISO 32000-2 §7.5.6): new and changed objects appended after the
 * last %%EOF, then a cross-reference section for exactly those objects and a trailer whose
 * /Prev points at the previous section. The bytes before it are never touched, which is what
 * keeps earlier signatures valid (pdf-lib's `save()` rewrites the whole file and breaks
 * them, libraries.md §1).
 *
 * Written here rather than with @cantoo/pdf-lib's incremental `save()` because signing needs
 * to control three things it decides on its own: the signature dictionary must be written
 * verbatim and outside any object stream (its /Contents placeholder is filled in place),
 * its byte offsets must be known exactly, and the section must be of the same kind as the
 * previous one (a classic table after a table, a cross-reference stream after a stream:
 * poppler and qpdf do not follow a table's /Prev into a stream, libraries.md §1).
 */
import { PDFRef, type PDFContext, type PDFObject } from '@cantoo/pdf-lib';
import type { PdfRevision } from './pdf-revision.js';

/** The result: the whole new file and where each written object's body starts in it. */
export interface WrittenUpdate {
  readonly pdf: Buffer;
  /** Absolute offset of the first byte after `N G obj\n`, by object number. */
  readonly bodyOffsets: ReadonlyMap<number, number>;
}

export class IncrementalUpdate {
  readonly context: PDFContext;
  private readonly firstNewNumber: number;
  private readonly changedRefs = new Map<number, PDFRef>();
  private readonly rawBodies = new Map<number, { ref: PDFRef; body: Uint8Array }>();

  constructor(private readonly revision: PdfRevision) {
    this.context = revision.context;
    this.firstNewNumber = Math.max(revision.size, revision.context.largestObjectNumber + 1);
    // Numbers below /Size may be free entries of an earlier section; never reuse them.
    this.context.largestObjectNumber = this.firstNewNumber - 1;
  }

  /** Marks an existing object as changed: its current value in the context is written again. */
  changed(ref: PDFRef): void {
    this.changedRefs.set(ref.objectNumber, ref);
  }

  /** A new object number for an object written as raw bytes with {@link setRaw}. */
  reserve(): PDFRef {
    return this.context.nextRef();
  }

  /** The bytes between `N G obj\n` and `\nendobj` for a reserved number. */
  setRaw(ref: PDFRef, body: Uint8Array): void {
    this.rawBodies.set(ref.objectNumber, { ref, body });
  }

  /**
   * Where to record a change of `holder[key]`'s value: the value's own object when it is an
   * indirect reference, else the holder (whose object then is rewritten with the inline value).
   */
  ownerOf(holderRef: PDFRef, value: PDFObject | undefined): PDFRef {
    return value instanceof PDFRef ? value : holderRef;
  }

  /** Appends the update to the revision's bytes. */
  write(): WrittenUpdate {
    const objects = this.collectObjects();
    const base = this.revision.bytes;
    const parts: Uint8Array[] = [];
    let length = 0;
    const push = (part: Uint8Array | string) => {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
      parts.push(bytes);
      length += bytes.length;
    };

    // The previous %%EOF may lack an end-of-line; a newline keeps `%%EOF` and the first object apart.
    push('\n');
    const entries: { number: number; generation: number; offset: number }[] = [];
    const bodyOffsets = new Map<number, number>();
    for (const { ref, body } of objects) {
      const header = `${ref.objectNumber} ${ref.generationNumber} obj\n`;
      const offset = base.length + length;
      entries.push({ number: ref.objectNumber, generation: ref.generationNumber, offset });
      bodyOffsets.set(ref.objectNumber, offset + header.length);
      push(header);
      push(body);
      push('\nendobj\n');
    }

    const xrefOffset = base.length + length;
    if (this.revision.xrefKind === 'table') {
      push(classicSection(entries, this.trailerEntries(this.context.largestObjectNumber + 1)));
    } else {
      const streamNumber = this.context.largestObjectNumber + 1;
      entries.push({ number: streamNumber, generation: 0, offset: xrefOffset });
      push(crossReferenceStream(streamNumber, entries, this.trailerEntries(streamNumber + 1), xrefOffset));
    }
    push(`startxref\n${xrefOffset}\n%%EOF\n`);

    // Not from Buffer's shared pool: callers may take `.buffer` of what signPdf returns.
    const pdf = Buffer.allocUnsafeSlow(base.length + length);
    pdf.set(base, 0);
    let offset = base.length;
    for (const part of parts) {
      pdf.set(part, offset);
      offset += part.length;
    }
    return { pdf, bodyOffsets };
  }

  private collectObjects(): { ref: PDFRef; body: Uint8Array }[] {
    const out: { ref: PDFRef; body: Uint8Array }[] = [];
    for (const ref of this.changedRefs.values()) {
      const object = this.context.lookup(ref);
      if (object) out.push({ ref, body: serialize(object) });
    }
    for (let number = this.firstNewNumber; number <= this.context.largestObjectNumber; number++) {
      const raw = this.rawBodies.get(number);
      if (raw) {
        out.push(raw);
        continue;
      }
      const ref = PDFRef.of(number);
      const object = this.context.lookup(ref);
      if (object) out.push({ ref, body: serialize(object) });
      else throw new Error(`object ${number} was reserved but never written`);
    }
    return out.sort((a, b) => a.ref.objectNumber - b.ref.objectNumber);
  }

  /** /Size, /Root, /Info, /ID and /Prev (ISO 32000-2 §7.5.5 Table 15, §7.5.8.2 Table 17). */
  private trailerEntries(size: number): string {
    const { trailerInfo } = this.context;
    let entries = `/Size ${size} /Root ${this.revision.catalogRef.toString()}`;
    if (trailerInfo.Info) entries += ` /Info ${trailerInfo.Info.toString()}`;
    if (trailerInfo.ID) entries += ` /ID ${trailerInfo.ID.toString()}`;
    return `${entries} /Prev ${this.revision.startXref}`;
  }
}

function serialize(object: PDFObject): Uint8Array {
  const bytes = new Uint8Array(object.sizeInBytes());
  object.copyBytesInto(bytes, 0);
  return bytes;
}

/** Consecutive object numbers, grouped into cross-reference subsections. */
function subsections<T extends { number: number }>(entries: T[]): T[][] {
  const groups: T[][] = [];
  for (const entry of entries) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]!.number + 1 === entry.number) last.push(entry);
    else groups.push([entry]);
  }
  return groups;
}

/** ISO 32000-2 §7.5.4: `xref`, subsections of 20-byte entries, then the trailer dictionary. */
function classicSection(entries: { number: number; generation: number; offset: number }[], trailer: string): string {
  let out = 'xref\n';
  for (const group of subsections(entries)) {
    out += `${group[0]!.number} ${group.length}\n`;
    for (const { offset, generation } of group) {
      out += `${String(offset).padStart(10, '0')} ${String(generation).padStart(5, '0')} n\r\n`;
    }
  }
  return `${out}trailer\n<< ${trailer} >>\n`;
}

/**
 * ISO 32000-2 §7.5.8: a cross-reference stream with type-1 entries `[1 offset generation]`,
 * unfiltered (a few dozen bytes; deflating them would cost more than it saves).
 */
function crossReferenceStream(
  number: number,
  entries: { number: number; generation: number; offset: number }[],
  trailer: string,
  ownOffset: number,
): Uint8Array {
  const offsetWidth = ownOffset < 2 ** 32 ? 4 : 6;
  const rowLength = 1 + offsetWidth + 2;
  const data = Buffer.alloc(entries.length * rowLength);
  const groups = subsections(entries);
  let row = 0;
  for (const group of groups) {
    for (const { offset, generation } of group) {
      const at = row++ * rowLength;
      data[at] = 1;
      data.writeUIntBE(offset, at + 1, offsetWidth);
      data.writeUInt16BE(generation, at + 1 + offsetWidth);
    }
  }
  const index = groups.map((group) => `${group[0]!.number} ${group.length}`).join(' ');
  const dict = `<< /Type /XRef ${trailer} /Index [${index}] /W [1 ${offsetWidth} 2] /Length ${data.length} >>`;
  return Buffer.concat([Buffer.from(`${number} 0 obj\n${dict}\nstream\n`, 'latin1'), data, Buffer.from('\nendstream\nendobj\n', 'latin1')]);
}
