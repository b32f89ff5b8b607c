/**
 * Forgiving accessors for objects of an untrusted PDF: a value of the wrong type reads as
 * absent instead of throwing (pdf-lib's `lookupMaybe` throws on a type mismatch).
 */
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFRef, PDFString, type PDFContext, type PDFObject } from '@cantoo/pdf-lib';

/** The object itself, or what an indirect reference points at. */
export function resolve(context: PDFContext, object: PDFObject | undefined): PDFObject | undefined {
  return object instanceof PDFRef ? context.lookup(object) : object;
}

export function dictAt(context: PDFContext, object: PDFObject | undefined): PDFDict | undefined {
  const value = resolve(context, object);
  return value instanceof PDFDict ? value : undefined;
}

export function arrayAt(context: PDFContext, object: PDFObject | undefined): PDFArray | undefined {
  const value = resolve(context, object);
  return value instanceof PDFArray ? value : undefined;
}

export function numberAt(context: PDFContext, object: PDFObject | undefined): number | undefined {
  const value = resolve(context, object);
  return value instanceof PDFNumber ? value.asNumber() : undefined;
}

/** A name object's value without the slash, or null. */
export function nameOf(object: PDFObject | undefined): string | null {
  return object instanceof PDFName ? object.decodeText() : null;
}

/** A text string's value (PDFDocEncoding or UTF-16BE, ISO 32000-2 §7.9.2.2), or null. */
export function textOf(object: PDFObject | undefined): string | null {
  return object instanceof PDFString || object instanceof PDFHexString ? object.decodeText() : null;
}

/** `PDFName.of`, shorter. */
export const N = (name: string): PDFName => PDFName.of(name);
