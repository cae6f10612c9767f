/** PAdES long-term validation: DSS writer, validation data gathering, B-LT/B-LTA extension. */
export { addDss, vriKey, type DssAddition, type DssUpdateResult, type VriData } from './dss.js';
export { gatherValidationData, type GatherOptions, type GatheredData, type GatheredSignature } from './gather.js';
export { extendPdf, extendPdfDetailed, type ExtendPdfOptions, type ExtendPdfResult, type LtvLevel } from './extend.js';
export { addDocumentTimestamp, probeTimestamp, type DocumentTimestampOptions, type DocumentTimestampResult } from '../doc-timestamp.js';
