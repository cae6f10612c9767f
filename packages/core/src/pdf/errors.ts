import { SealError } from '../errors/index.js';

/** The PDF is encrypted and this operation does not support encryption (exit 65). */
export class PdfEncryptedError extends SealError {
  static readonly code = 'ERR_PDF_ENCRYPTED';
  constructor(message = 'the PDF is encrypted; encrypted PDFs cannot be sealed') {
    super('ERR_PDF_ENCRYPTED', message);
    this.name = 'PdfEncryptedError';
  }
}
