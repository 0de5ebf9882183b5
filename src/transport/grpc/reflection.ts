// gRPC server reflection, v1 and the v1alpha alias that Postman and older grpcurl use (the two
// are wire-identical; nice-grpc-server-reflection serves v1 only).
import { readFileSync } from 'node:fs';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';

/** Built by `npm run gen` (buf build, imports included) and copied next to the compiled code. */
const DESCRIPTOR_SET = new URL('../../gen/orderflow.binpb', import.meta.url);

const V1ALPHA_PATH = '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo';

export const ServerReflectionV1AlphaService = {
  serverReflectionInfo: { ...ServerReflectionService.serverReflectionInfo, path: V1ALPHA_PATH },
} as unknown as typeof ServerReflectionService;

export { ServerReflectionService };

export function reflectionService(serviceNames: readonly string[]): ReturnType<typeof ServerReflection> {
  return ServerReflection(readFileSync(DESCRIPTOR_SET), [...serviceNames]);
}
