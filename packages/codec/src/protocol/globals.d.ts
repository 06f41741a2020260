// The codec may use only ECMAScript built-ins plus these three web globals
// (ARCHITECTURE.md). Declaring just them, with no DOM or Node lib, makes the
// compiler refuse any other runtime global inside src/.
declare global {
  interface TextDecodeOptions { stream?: boolean }
  interface TextDecoderOptions { fatal?: boolean; ignoreBOM?: boolean }
  class TextDecoder {
    constructor(label?: string, options?: TextDecoderOptions);
    readonly encoding: string;
    readonly fatal: boolean;
    decode(input?: ArrayBufferView | ArrayBuffer, options?: TextDecodeOptions): string;
  }
  interface TextEncoderEncodeIntoResult { read: number; written: number }
  class TextEncoder {
    readonly encoding: string;
    encode(input?: string): Uint8Array<ArrayBuffer>;
    encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult;
  }
  var crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T };
}
export {};
