/** PDF parser: object model, lexer, stream filters, cross-reference and revisions. No crypto. */
export * from './objects.js';
export { Lexer, indexOfAscii, lastIndexOfAscii } from './lexer.js';
export { decodeStream, inflate, DEFAULT_MAX_DECODED, type DecodeOptions } from './filters.js';
export { parsePdf, PdfDocument, type ParsePdfOptions, type PdfRevision, type XrefEntry, type XrefSection } from './document.js';
