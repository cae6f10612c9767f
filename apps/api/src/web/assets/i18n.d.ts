export type Lang = 'en' | 'zh-CN';
export declare const MESSAGES: Record<Lang, Record<string, string>>;
export declare const LANGS: readonly ['zh-CN', 'en'];
export declare function pickLang(stored: string | null, preferred: readonly string[]): Lang;
export declare function t(lang: Lang, key: string, params?: Record<string, unknown>): string;
