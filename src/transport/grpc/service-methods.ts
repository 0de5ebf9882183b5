// The methods a server serves, made from ts-proto or grpc-js service definitions and their
// implementations (nice-grpc's typed handler signatures): path, kind, codecs and handler, each
// computed once. Requests are decoded strictly and never throw: bytes that do not parse, or a
// string field with invalid UTF-8 (ts-proto would quietly store U+FFFD), become a
// MalformedMessage that the call pipeline answers with INVALID_ARGUMENT, instead of grpc-js
// answering INTERNAL from inside its own call handling.
import { BinaryReader } from '@bufbuild/protobuf/wire';
import type { ServiceDefinition as GrpcJsServiceDefinition } from '@grpc/grpc-js';
import type { CompatServiceDefinition, ServiceImplementation, TsProtoServiceDefinition } from 'nice-grpc';
import { type GrpcType, grpcType, splitMethodPath } from '../../platform/grpc-metrics.js';
import { encodeOnce } from './reused-responses.js';

export class MalformedMessage {
  constructor(readonly reason: string) {}
}

/** An implementation's method: (request or request stream, context) → response, or a response stream. */
export type Handler = (request: never, context: never) => unknown;

export type MethodEntry = Readonly<{
  path: string;
  service: string;
  method: string;
  type: GrpcType;
  requestStream: boolean;
  responseStream: boolean;
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
  handler: Handler;
}>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const decodeUtf8 = (bytes: Uint8Array) => strictUtf8.decode(bytes);

function malformed(error: unknown): MalformedMessage {
  return new MalformedMessage(
    error instanceof TypeError && /encoded data/.test(error.message) ? 'invalid UTF-8 in a string field' : 'not a valid protobuf message',
  );
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

type TsProtoType = {
  encode(message: unknown): { finish(): Uint8Array };
  decode(input: BinaryReader | Uint8Array): unknown;
  fromPartial?(object: unknown): unknown;
};

function isTsProto(definition: CompatServiceDefinition): definition is TsProtoServiceDefinition {
  return 'fullName' in definition && 'methods' in definition;
}

function fromTsProto(definition: TsProtoServiceDefinition, implementation: Record<string, Handler>): MethodEntry[] {
  return Object.entries(definition.methods).map(([key, m]) => {
    const request = m.requestType as TsProtoType;
    const response = m.responseType as TsProtoType;
    const path = `/${definition.fullName}/${m.name}`;
    return entry(path, m, implementation[key], {
      serialize: (value) =>
        encodeOnce(value, (v) => asBuffer(response.encode(response.fromPartial === undefined ? v : response.fromPartial(v)).finish())),
      deserialize: (bytes) => {
        try {
          return request.decode(new BinaryReader(bytes, decodeUtf8));
        } catch (error) {
          return malformed(error);
        }
      },
    });
  });
}

function fromGrpcJs(definition: GrpcJsServiceDefinition, implementation: Record<string, Handler>): MethodEntry[] {
  return Object.entries(definition).map(([key, m]) =>
    entry(m.path, m, implementation[key], {
      serialize: (value) => m.responseSerialize(value),
      deserialize: (bytes) => {
        try {
          return m.requestDeserialize(bytes) as unknown;
        } catch (error) {
          return malformed(error);
        }
      },
    }),
  );
}

function entry(
  path: string,
  kind: { requestStream: boolean; responseStream: boolean },
  handler: Handler | undefined,
  codecs: Pick<MethodEntry, 'serialize' | 'deserialize'>,
): MethodEntry {
  if (handler === undefined) throw new Error(`no implementation for ${path}`);
  const { service, method } = splitMethodPath(path);
  return {
    path,
    service,
    method,
    type: grpcType(kind),
    requestStream: kind.requestStream,
    responseStream: kind.responseStream,
    handler,
    ...codecs,
  };
}

/** The methods of one service, with their handlers bound to the implementation. */
export function serviceMethods<Definition extends CompatServiceDefinition, Context>(
  definition: Definition,
  implementation: ServiceImplementation<Definition, Context>,
): MethodEntry[] {
  const handlers = Object.fromEntries(
    Object.entries(implementation as Record<string, Handler>).map(([key, fn]) => [key, fn.bind(implementation)]),
  );
  return isTsProto(definition) ? fromTsProto(definition, handlers) : fromGrpcJs(definition as GrpcJsServiceDefinition, handlers);
}
