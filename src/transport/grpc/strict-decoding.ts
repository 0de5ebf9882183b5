// Request decoding that rejects what protobuf forbids and reports it as the client's fault: a
// message that does not parse, or has invalid UTF-8 in a string field (ts-proto decodes
// leniently, replacing bad bytes with U+FFFD), is INVALID_ARGUMENT. grpc-js would otherwise answer
// INTERNAL from inside its own call handling, where no middleware or metric sees the status.
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { ServerError, Status } from 'nice-grpc';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const decodeUtf8 = (bytes: Uint8Array) => strictUtf8.decode(bytes);

/** What decode returns instead of throwing: the middleware below turns it into the status. */
class MalformedMessage {
  constructor(readonly reason: string) {}
}

type MessageType = { decode(input: BinaryReader | Uint8Array, length?: number): unknown };
type MethodDefinition = { requestType: MessageType };
type ServiceDefinition = { methods: Record<string, MethodDefinition> };

/** A copy of a ts-proto service definition whose request decoding is strict and never throws. */
export function strictlyDecoded<Definition extends ServiceDefinition>(definition: Definition): Definition {
  const methods = Object.fromEntries(
    Object.entries(definition.methods).map(([name, method]) => {
      const decode = (input: BinaryReader | Uint8Array, length?: number): unknown => {
        try {
          return method.requestType.decode(input instanceof Uint8Array ? new BinaryReader(input, decodeUtf8) : input, length);
        } catch (error) {
          return new MalformedMessage(error instanceof TypeError && /encoded data/.test(error.message) ? 'invalid UTF-8 in a string field' : 'not a valid protobuf message');
        }
      };
      return [name, { ...method, requestType: { ...method.requestType, decode } }];
    }),
  );
  return { ...definition, methods };
}

function check(message: unknown): void {
  if (message instanceof MalformedMessage) throw new ServerError(Status.INVALID_ARGUMENT, `malformed request message: ${message.reason}`);
}

async function* checked<T>(messages: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const message of messages) {
    check(message);
    yield message;
  }
}

export async function* malformedRequestMiddleware<Request, Response>(call: ServerMiddlewareCall<Request, Response>, ctx: CallContext) {
  if (!call.requestStream) {
    check(call.request);
    return yield* call.next(call.request, ctx);
  }
  return yield* call.next(checked(call.request), ctx);
}

export const malformedRequests: ServerMiddleware = malformedRequestMiddleware;
