import { InvalidInputError, UnsupportedMediaTypeError } from '../errors.js';

/** The PDF from a raw application/pdf body or the `file` part of multipart/form-data. */
export async function uploadedPdf(request: Request): Promise<Uint8Array> {
  const type = (request.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
  let bytes: Uint8Array;
  if (type === 'application/pdf') {
    bytes = new Uint8Array(await request.arrayBuffer());
  } else if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await request.formData();
    } catch (error) {
      throw new InvalidInputError('MalformedMultipart', 'The multipart body cannot be read', { cause: error });
    }
    const file = form.get('file');
    if (!(file instanceof Blob)) throw new InvalidInputError('FileRequired', 'Send the PDF in a multipart part named "file"');
    bytes = new Uint8Array(await file.arrayBuffer());
  } else {
    throw new UnsupportedMediaTypeError('UnsupportedMediaType', 'Send the PDF as application/pdf or multipart/form-data');
  }
  if (bytes.length === 0) throw new InvalidInputError('InvalidPdf', 'The uploaded document is empty');
  return bytes;
}
