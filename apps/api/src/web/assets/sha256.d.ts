export declare function sha256HexSync(bytes: Uint8Array): string;
export declare function sha256Hex(bytes: Uint8Array): Promise<string>;
