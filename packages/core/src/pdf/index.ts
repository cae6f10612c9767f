/** PDF: parser (objects, xref, revisions), incremental writer, appearance, signPdf. */
export * from './parser/index.js';
export { PdfEncryptedError } from './errors.js';
export { IncrementalUpdate, concatOutput, type IncrementalResult } from './writer/incremental.js';
export { prepareSignature, listFields, pdfDate, type PreparedSignature, type SignatureSetup, type SubFilter, type AppearanceBuilder } from './writer/signature.js';
export { serializeObject, textString } from './writer/serialize.js';
export { imageXObject, type ImageXObject } from './appearance/image.js';
export { buildSealAppearance, type SealAppearanceOptions } from './appearance/seal-appearance.js';
export { signPdf, signPdfParts, type SignPdfParts, type SignPdfOptions, type VisibleSealOptions, type PadesLevel } from './sign-pdf.js';
export * from './ltv/index.js';
