export type Tone = 'ok' | 'bad' | 'warn';
export interface Verdict { tone: Tone; key: string; params: Record<string, unknown> }
export interface ChangedThing { kind: string; page: number | null }
export interface RegistryView {
  agencyName: string | null;
  sealName: string | null;
  sealId: string | null;
  image: string | null;
  state: string | null;
  since: string | null;
  reason: string | null;
  entryId: string | null;
}
export declare function sniffFormat(bytes: Uint8Array, name?: string): 'pdf' | 'json' | null;
export declare function changedThings(mods: ReadonlyArray<Record<string, unknown>>): ChangedThing[];
export declare function verdictFor(sig: Record<string, unknown>): Verdict;
export declare function documentVerdict(report: Record<string, unknown>): Verdict;
export declare function problemKey(status: number, problem: Record<string, unknown> | null): string;
export declare function safeImageSrc(v: unknown): string | null;
export declare function normaliseRegistry(raw: unknown): RegistryView | null;
export declare function reportOf(answer: unknown): Record<string, unknown>;
export declare function registryFor(answer: Record<string, unknown>, i: number): RegistryView | null;
export declare function jsonVerifyBody(bytes: Uint8Array): { jws: string | Record<string, unknown> } | null;
export declare function dnParts(dn: unknown): { cn: string | null; o: string | null };
export declare function revisionEnds(bytes: Uint8Array): number[];
export declare function jwsPayload(bytes: Uint8Array): Uint8Array | null;
export declare function isDetached(body: { jws: string | Record<string, unknown> }): boolean;
export declare function toBase64(bytes: Uint8Array): string;
