/** PDF: parser (objects, xref, revisions), incremental writer, appearance, signPdf. */
export * from './parser/index.js';
export { PdfEncryptedError } from './errors.js';
